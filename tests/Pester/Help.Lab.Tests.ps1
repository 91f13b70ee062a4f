# The help examples that need hosts ($vps, $box) run against the lab, as written.
BeforeDiscovery {
    . $PSScriptRoot/HelpPages.ps1
    $script:HostExamples = @(Get-DocExample | Where-Object { $_.NeedsHost -and -not $_.Skip } | ForEach-Object { @{ Name = $_.Name; Title = $_.Title; Code = $_.Code } })
}
BeforeAll {
    . $PSScriptRoot/Common.ps1
    . $PSScriptRoot/HelpPages.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix hthelp -Index 9
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    # The names the examples use resolve, in the lab's DNS, to the lab's relay.
    $records = [ordered]@{} + $lab.DnsRecords
    foreach ($n in 'site.example.com', 'git.example.com', 'photos.example.com', 'cloud.example.com', 'old.example.com', 'vps.example.com') { $records[$n] = $a.Relay }
    Set-LabDnsRecord $lab -Records $records
    $baseline = Join-Path $TestDrive 'baseline.peers.json'
    $variables = @{
        vps = $vps; box = $box
        PSDefaultParameterValues = @{ 'Test-TunnelPath:DnsServer' = $a.Dns; 'Publish-HomeService:DnsServer' = $a.Dns; 'Publish-HomeService:WaitSeconds' = 10; 'Unpublish-HomeService:PeerFile' = $baseline }
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'The help examples that need hosts run against the lab' -Tag Lab {
    # The relay's invariants over the whole block, whatever the tests' own assertions said (tests/Lab: Assert-LabInvariant;
    # per block here: the examples are many and short, and a broken invariant still fails the block).
    BeforeAll { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterAll { Assert-LabInvariant $lab $script:invariantBefore }
    It '<Name>: <Title>' -ForEach $HostExamples {
        # Each example starts from a working tunnel and site, whatever the one before it changed.
        $null = Publish-HomeService site.example.com 3000 -RelaySession $vps -HomeSession $box -PeerFile $baseline -DnsServer $a.Dns -WaitSeconds 10
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $dir
        $code = $Code
        $errors = Invoke-DocExample -Code $code -Directory $dir -Variables $variables
        $errors | Should -BeNullOrEmpty -Because "the example must run as written:`n$code"
    }
}

Describe 'Tab completion through a session' -Tag Lab {
    # The relay's invariants over the whole block, whatever the tests' own assertions said (tests/Lab: Assert-LabInvariant;
    # per block here: the examples are many and short, and a broken invariant still fails the block).
    BeforeAll { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterAll { Assert-LabInvariant $lab $script:invariantBefore }
    It 'offers the relay''s sites and interfaces when -Session is typed' {
        $null = Publish-HomeService site.example.com 3000 -RelaySession $vps -HomeSession $box -PeerFile $baseline -DnsServer $a.Dns -WaitSeconds 10
        $line = 'Uninstall-ApacheProxySite -Session $vps '
        $r = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r.CompletionMatches.CompletionText | Should -Contain 'site.example.com'
        $line = 'Get-TunnelStatus -Session $vps -InterfaceName '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'wg0'
    }
}
