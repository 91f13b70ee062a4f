# Every error id has a RecommendedAction, from the one catalogue (Common/Remedies.cs): the ids are read from the
# source as the code throws them, so a new id without a remedy fails here.
BeforeDiscovery {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $patterns = @(
        'HomeTunnelException(?:\.\w+)?\(\s*"([A-Z][A-Za-z]+)"'      # new HomeTunnelException("Id", ...), HomeTunnelException.Invalid("Id", ...)
        'ApacheConfigReader\.Error\(\s*"([A-Z][A-Za-z]+)"'           # the Apache reader's errors
        '"([A-Z][A-Za-z]+)",\s*ErrorKind\.'                           # ids with an explicit kind
        'FindingSeverity\.Error,\s*"([A-Z][A-Za-z]+)"'               # Test-TunnelConfig's errors, thrown before an install
        '\["([A-Z][A-Za-z]+)"\]\s*=\s*ErrorKind\.'                   # the ids a host can send (HostErrors)
        'EnumName<[^>]+>\([^;]*?,\s*"([A-Z][A-Za-z]+)"\)'            # an enum value by name, with its own id
    )
    $sources = Get-ChildItem (Join-Path $root 'src/HomeTunnel.PowerShell') -Recurse -Filter *.cs | Where-Object FullName -NotMatch '[\\/](obj|bin)[\\/]'
    $found = foreach ($f in $sources) {
        $text = Get-Content -Raw $f.FullName
        foreach ($p in $patterns) { [regex]::Matches($text, $p) | ForEach-Object { $_.Groups[1].Value } }
    }
    # The ids the agent sends (New-AgentError 'Id' in Hosts/Agent/*.ps1).
    $found += Get-ChildItem (Join-Path $root 'src/HomeTunnel.PowerShell/Hosts/Agent') -Filter *.ps1 |
        ForEach-Object { [regex]::Matches((Get-Content -Raw $_.FullName), "New-AgentError '([A-Za-z]+)'") | ForEach-Object { $_.Groups[1].Value } }
    $script:Ids = @($found | Sort-Object -Unique | ForEach-Object { @{ Id = $_ } })
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
}

Describe 'The remedy catalogue' {
    It 'finds the ids in the source (the scan itself works)' {
        $Ids.Count | Should -BeGreaterThan 150
        $Ids.Id | Should -Contain 'AddressInvalid'
        $Ids.Id | Should -Contain 'WorkerStopped'
        $Ids.Id | Should -Contain 'ForwardProtocolInvalid'
    }

    It 'has a remedy for <Id>' -ForEach $Ids {
        [HomeTunnel.Remedies]::For($Id, 'the host') | Should -Not -BeNullOrEmpty
    }

    It 'has a remedy for every id the name and path checks make (prefix and check)' {
        [HomeTunnel.Remedies]::GeneratedPrefixes | Should -Contain 'ServerName'
        foreach ($prefix in [HomeTunnel.Remedies]::GeneratedPrefixes) {
            foreach ($family in [HomeTunnel.Remedies]::Families.Keys) {
                [HomeTunnel.Remedies]::For("$prefix$family", 'x') | Should -Not -BeNullOrEmpty -Because "$prefix$family"
            }
        }
    }

    It 'gives no remedy for an id it does not know (no catch-all that would make this test pass by itself)' {
        [HomeTunnel.Remedies]::For('NoSuchErrorId', 'x') | Should -BeNullOrEmpty
        [HomeTunnel.Remedies]::For('AddressNoSuchCheck', 'x') | Should -BeNullOrEmpty
    }

    It 'reaches the ErrorRecord: <Case>' -ForEach @(
        @{ Case = 'a bad address'; Run = { New-TunnelPeer -Name a -Role Home -Address 192.168.4.300/32 }; Id = 'Address' }
        @{ Case = 'a generated name id'; Run = { New-ApacheProxySite -ServerName '-bad-.example.com' -Backend http://192.168.4.2:3000/ }; Id = 'ServerName' }
        @{ Case = 'a short door password'; Run = { New-ApacheProxySite -ServerName a.example.test -Backend http://192.168.4.2:3000/ -Credential ([pscredential]::new('alice', (ConvertTo-SecureString 'short' -AsPlainText -Force))) }; Id = 'BasicAuthPasswordTooShort' }
    ) {
        $e = Get-ErrorRecord $Run
        $e.FullyQualifiedErrorId | Should -BeLike "$Id*"
        $e.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        $e.ErrorDetails.RecommendedAction | Should -Be ([HomeTunnel.Remedies]::For($e.FullyQualifiedErrorId.Split(',')[0], "$($e.TargetObject)"))
    }
}
