# Every exported cmdlet has a complete help page in docs/en-US, compiled into MAML so Get-Help works
# offline; the examples in those pages run (those that need hosts run in the lab: Help.Lab.Tests.ps1).
BeforeDiscovery {
    . $PSScriptRoot/Common.ps1
    $script:Commands = (Get-Command -Module HomeTunnel | Sort-Object Name).Name
    . $PSScriptRoot/HelpPages.ps1
    $script:OfflineExamples = @(Get-DocExample | Where-Object { -not $_.NeedsHost -and -not $_.Skip } | ForEach-Object { @{ Name = $_.Name; Title = $_.Title; Code = $_.Code } })
}
BeforeAll {
    . $PSScriptRoot/Common.ps1
    . $PSScriptRoot/HelpPages.ps1
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'Help page of <_>' -ForEach $Commands {
    BeforeAll {
        $name = $_
        $page = Read-HelpPage (Join-Path $DocsPath "$name.md")
        $command = Get-Command $name
    }

    It 'exists, with no placeholder left' {
        $page | Should -Not -BeNullOrEmpty
        $page.Text | Should -Not -Match '\{\{ Fill'
    }

    It 'has a synopsis, a description, inputs, outputs and related links' {
        $page.Sections['SYNOPSIS'].Trim() | Should -Not -BeNullOrEmpty
        $page.Sections['DESCRIPTION'].Trim().Length | Should -BeGreaterThan 80
        $page.Sections['INPUTS'] | Should -Match '(?m)^### \S'
        $page.Sections['OUTPUTS'] | Should -Match '(?m)^### \S'
        $page.Sections['RELATED LINKS'] | Should -Match '\[.+\]\(.+\)'
    }

    It 'has at least two examples, each with code and a remark' {
        $examples = @(Get-DocExample -Name $name)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) {
            $e.Code.Trim() | Should -Not -BeNullOrEmpty
            $e.Remarks.Trim() | Should -Not -BeNullOrEmpty -Because "$($e.Title) needs a word on what it shows"
        }
    }

    It 'documents exactly the cmdlet''s parameters, each with a description and its facts' {
        $documented = @($page.Parameters.Keys | Sort-Object)
        $actual = @($command.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object)
        $documented | Should -Be $actual
        foreach ($p in $page.Parameters.GetEnumerator()) {
            $p.Value.Description.Trim().Length | Should -BeGreaterThan 10 -Because "-$($p.Key) needs a description"
            $p.Value.Yaml | Should -Match '(?m)^Type: \S'
            $required = [bool]($command.Parameters[$p.Key].ParameterSets.Values | Where-Object IsMandatory)
            ($p.Value.Yaml -match '(?m)^Required: True') | Should -Be $required -Because "-$($p.Key) Required must match the cmdlet"
        }
    }

    It 'is what Get-Help shows, offline' {
        $help = Get-Help $name -Full
        $help.Synopsis | Should -Be $page.Sections['SYNOPSIS'].Trim()
        @($help.Examples.Example).Count | Should -Be @(Get-DocExample -Name $name).Count
        foreach ($p in $page.Parameters.Keys) {
            (Get-Help $name -Parameter $p).Description.Text | Should -Not -BeNullOrEmpty
        }
    }
}

Describe 'Compiled help of <_> matches the cmdlet' -ForEach $Commands {
    BeforeAll {
        $name = $_
        $command = Get-Command $name
        $help = Get-Help $name -Full
        $optional = [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    }

    It 'has every parameter, -WhatIf and -Confirm included, with its pipeline input' {
        $own = @($command.Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and ($_ -notin $optional -or $_ -in 'WhatIf', 'Confirm') } | Sort-Object)
        @($help.parameters.parameter.name | Sort-Object) | Should -Be $own
        foreach ($p in $help.parameters.parameter) {
            $sets = $command.Parameters[$p.name].ParameterSets.Values
            $byValue = [bool]($sets | Where-Object ValueFromPipeline)
            $byName = [bool]($sets | Where-Object ValueFromPipelineByPropertyName)
            ($p.pipelineInput -match 'ByValue') | Should -Be $byValue -Because "-$($p.name) pipeline input (ByValue)"
            ($p.pipelineInput -match 'ByPropertyName') | Should -Be $byName -Because "-$($p.name) pipeline input (ByPropertyName)"
        }
        if ($command.Parameters.ContainsKey('WhatIf')) {
            (Get-Help $name -Parameter WhatIf).name | Should -Be 'WhatIf'
            (Get-Help $name -Parameter Confirm).name | Should -Be 'Confirm'
        }
    }

    It 'shows one syntax per parameter set, each with that set''s parameters' {
        $items = @($help.syntax.syntaxItem)
        $items.Count | Should -Be $command.ParameterSets.Count
        foreach ($set in $command.ParameterSets) {
            $want = @($set.Parameters.Name | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and ($_ -notin $optional -or $_ -in 'WhatIf', 'Confirm') } | Sort-Object)
            $match = $items | Where-Object { (@($_.parameter.name | Sort-Object) -join ',') -eq ($want -join ',') }
            $match | Should -Not -BeNullOrEmpty -Because "the set '$($set.Name)' ($($want -join ', ')) needs its syntax"
        }
    }

    It 'opens its page with Get-Help -Online' {
        $uri = @($help.relatedLinks.navigationLink)[0].uri
        $uri | Should -Be "https://github.com/hometunnel/HomeTunnel/blob/main/docs/en-US/$name.md"
    }
}

Describe 'The module''s about topic and help address' {
    It 'is found by Get-Help about_HomeTunnel, with the concepts and the troubleshooting' {
        $text = Get-Help about_HomeTunnel | Out-String
        foreach ($word in 'relay', 'OWNERSHIP', 'THE APPLY MODEL', 'TROUBLESHOOTING', 'Initialize-TunnelHost', '-Prefix') {
            $text | Should -Match ([regex]::Escape($word))
        }
    }

    It 'has a HelpInfoURI' {
        (Get-Module HomeTunnel).HelpInfoUri | Should -Match '^https://'
    }
}

Describe 'The examples in the help pages run' {
    It '<Name>: <Title>' -ForEach $OfflineExamples {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $dir
        $code = $Code
        $errors = Invoke-DocExample -Code $code -Directory $dir
        $errors | Should -BeNullOrEmpty -Because "the example must run as written:`n$code"
    }
}
