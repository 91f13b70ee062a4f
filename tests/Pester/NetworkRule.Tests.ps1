# The network rule: tests and benchmarks send traffic only to 127.0.0.0/8 or into namespaces they made. The lab's
# runner sits in the machine's own namespace, so a path check or a Publish without -DnsServer asks the machine's
# resolver (an address outside) for the lab's names. Every such call in the lab's tests and the benchmarks names the
# lab's DNS server (or passes a splat that may); this reads them all with PowerShell's own parser.
BeforeDiscovery {
    $root = (Resolve-Path "$PSScriptRoot/../..").Path
    $script:Files = @(
        Get-ChildItem "$root/tests/Pester" -Filter *.Lab.Tests.ps1
        Get-ChildItem "$root/tests/Pester" -Filter LabSeed.ps1
        Get-ChildItem "$root/bench" -Filter *.ps1
        Get-ChildItem "$root/tests/Lab" -Include *.ps1, *.psm1 -Recurse
    ) | ForEach-Object { @{ Name = $_.Name; Path = $_.FullName } }
}
BeforeAll {
    function Get-ResolverCall([System.Management.Automation.Language.Ast] $Ast) {
        # The cmdlets that resolve a name when no -DnsServer is given, called without it and without a splat.
        $Ast.FindAll({
                param($n)
                $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -in 'Publish-HomeService', 'Test-TunnelPath'
            }, $true) | Where-Object {
            $named = @($_.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object ParameterName)
            $splat = @($_.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.VariableExpressionAst] -and $_.Splatted })
            'DnsServer' -notin $named -and -not $splat
        } | ForEach-Object { "line $($_.Extent.StartLineNumber): $($_.Extent.Text)" }
    }
}

Describe 'The lab''s name checks ask the lab''s DNS server' {
    It 'finds a call that would ask the machine''s resolver (the reader itself)' {
        $bad = [System.Management.Automation.Language.Parser]::ParseInput('$r = Test-TunnelPath a.example.test -RelaySession $s; Publish-HomeService b.example.test 3000 -RelaySession $s -HomeSession $h -DnsServer 10.1.1.1', [ref]$null, [ref]$null)
        @(Get-ResolverCall $bad) | Should -Be @('line 1: Test-TunnelPath a.example.test -RelaySession $s')
    }

    It '<Name> names -DnsServer in every path check and Publish' -ForEach $Files {
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
        @(Get-ResolverCall $ast) | Should -BeNullOrEmpty
    }
}
