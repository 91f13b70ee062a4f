# The rules every exported cmdlet follows, checked over all of them (a new cmdlet is checked too).
BeforeDiscovery {
    . $PSScriptRoot/Common.ps1
    $script:Commands = @(Get-Command -Module HomeTunnel | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })
}
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $approved = (Get-Verb).Verb
    # Verbs whose cmdlets change a host or a file: they must honour -WhatIf and -Confirm.
    # (Set and Remove: a zone's records, Set-/Remove-TunnelDnsRecord.)
    $changing = 'Install', 'Uninstall', 'Publish', 'Unpublish', 'Register', 'Unregister', 'Export', 'Initialize', 'Update', 'Set', 'Remove'
}

Describe '<Name> follows the module''s rules' -ForEach $Commands {
    BeforeAll { $command = Get-Command $Name }

    It 'uses an approved verb and is a compiled cmdlet' {
        $command.Verb | Should -BeIn $approved
        $command.CommandType | Should -Be 'Cmdlet'
        $command.ImplementingType.Namespace | Should -Be 'HomeTunnel.Cmdlets'
    }

    It 'takes one name for every enum parameter (StrictEnum): never "a,b" or a number' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $loose = foreach ($p in $command.Parameters.Values | Where-Object Name -NotIn $common) {
            $t = $p.ParameterType
            if ($t.IsArray) { $t = $t.GetElementType() }
            $t = [Nullable]::GetUnderlyingType($t) ?? $t
            if ($t.IsEnum -and -not ($p.Attributes | Where-Object { $_ -is [HomeTunnel.Cmdlets.StrictEnumAttribute] })) { "-$($p.Name)" }
        }
        $loose | Should -BeNullOrEmpty -Because 'PowerShell would take "HmacSha256,HmacMd5" or 5 for an enum and act on another value without a word'
    }

    It 'declares what it outputs' {
        $command.OutputType | Should -Not -BeNullOrEmpty
    }

    It 'supports -WhatIf and -Confirm when it changes something' {
        if ($command.Verb -in $changing) {
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            $command.Parameters.Keys | Should -Contain 'Confirm'
        }
        else {
            $command.Parameters.Keys | Should -Not -Contain 'WhatIf' -Because 'a read-only cmdlet should not pretend to change anything'
        }
    }

    It 'takes -Session, -ThrottleLimit and -PassThru when it installs on hosts' {
        if ($command.Verb -in 'Install', 'Uninstall') {
            $command.Parameters.Keys | Should -Contain 'Session'
            $command.Parameters['Session'].ParameterType | Should -Be ([System.Management.Automation.Runspaces.PSSession[]])
            $command.Parameters.Keys | Should -Contain 'ThrottleLimit'
            $command.Parameters.Keys | Should -Contain 'PassThru'
        }
    }

    It 'binds the names objects carry by property name' {
        # Deliberate exceptions: Test-TunnelPath's -Port is the relay's ports, not a site's backend port; Initialize-TunnelHost's
        # -Port is SSH's; New-TunnelPortForward's -Port and -Address are the forward's own, not the piped peer's; an export's -Path is where to write, not a property of what is written;
        # a DNS record's -Address is the relays' public addresses, not a piped site's Address (the home's tunnel address).
        $exceptions = @('Test-TunnelPath:Port', 'Initialize-TunnelHost:Port', 'New-TunnelPortForward:Port', 'New-TunnelPortForward:Address', 'Set-TunnelDnsRecord:Address', 'Remove-TunnelDnsRecord:Address')
        foreach ($p in 'ServerName', 'InterfaceName', 'Path', 'Name', 'Address', 'Port') {
            if ("$($Name):$p" -in $exceptions) { continue }
            if ($command.Parameters.ContainsKey($p) -and $command.Noun -notin 'TunnelPeer', 'TunnelKeyPair' -and -not ($command.Verb -eq 'Export')) {
                $byName = $command.Parameters[$p].ParameterSets.Values | Where-Object ValueFromPipelineByPropertyName
                $byName | Should -Not -BeNullOrEmpty -Because "-$p of $Name should bind from piped objects' $p"
            }
        }
    }

    It 'never outputs a private key as plain text' {
        foreach ($t in $command.OutputType.Type | Where-Object { $_ }) {
            foreach ($prop in $t.GetProperties()) {
                if ($prop.Name -match 'PrivateKey|PresharedKey') {
                    $prop.PropertyType | Should -Not -Be ([string]) -Because "$($t.Name).$($prop.Name) must be a redacting key type"
                }
            }
        }
    }
}

Describe 'Tab completion' {
    It 'offers interface names, with wg0 always' {
        $r = TabExpansion2 -inputScript 'Get-TunnelStatus -InterfaceName w' -cursorColumn 33
        $r.CompletionMatches.CompletionText | Should -Contain 'wg0'
    }

    It 'offers roles and hop names from their enums' {
        (TabExpansion2 -inputScript 'New-TunnelPeer -Role R' -cursorColumn 22).CompletionMatches.CompletionText | Should -Be 'Relay'
        (TabExpansion2 -inputScript 'Test-TunnelPath x -SkipHop Cer' -cursorColumn 30).CompletionMatches.CompletionText | Should -Be 'Certificate'
        (TabExpansion2 -inputScript 'Register-TunnelPathCheck x -Scheduler Sys' -cursorColumn 41).CompletionMatches.CompletionText | Should -Be 'Systemd'
    }

    It 'offers the site names in sites-available on this machine' -Skip:(-not (Test-Path /etc/apache2/sites-available)) {
        $expected = @(Get-ChildItem /etc/apache2/sites-available -Filter *.conf | ForEach-Object BaseName)
        $r = TabExpansion2 -inputScript 'Uninstall-ApacheProxySite ' -cursorColumn 26
        $r.CompletionMatches.CompletionText | Should -Be ($expected | Sort-Object)
    }
}
