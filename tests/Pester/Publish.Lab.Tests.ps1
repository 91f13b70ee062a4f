# Publish-HomeService: the seed's whole flow in one call, against the real lab.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix htpub -Index 7
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $peers = Join-Path $TestDrive 'relay.peers.json'
    function Publish { Publish-HomeService -RelaySession $vps -HomeSession $box -PeerFile $peers -DnsServer $a.Dns @args }
    $otherSite = "$($lab.Hosts.relay.Directory)/etc-apache2/sites-available/other.example.test.conf"
    # A command run under a host that answers every confirm prompt the same way, and keeps the prompts it saw.
    if (-not ('HomeTunnelTests.AnsweringHost' -as [type])) { Add-Type -Path "$PSScriptRoot/AnsweringHost.cs" }
    function Invoke-Answering([string] $Answer, [string] $Command, [hashtable] $Parameters) {
        $answering = [HomeTunnelTests.AnsweringHost]::new($Answer)
        $runspace = [runspacefactory]::CreateRunspace($answering)
        $runspace.Open()
        $shell = [powershell]::Create()
        try {
            $shell.Runspace = $runspace
            $null = $shell.AddScript('param($Module, $Command, $Parameters) Import-Module $Module; & $Command @Parameters -Confirm').AddArgument($ModulePath).AddArgument($Command).AddArgument($Parameters)
            $output = @($shell.Invoke())
            [pscustomobject]@{ Output = $output; Errors = @($shell.Streams.Error); Prompts = @($answering.Prompts) }
        }
        finally { $shell.Dispose(); $runspace.Dispose() }
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Publish-HomeService' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It '-WhatIf touches no host and writes no peer file' {
        $before = (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home)
        Publish $lab.SiteName 3000 -WhatIf
        (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home) | Should -Be $before
        Test-Path $peers | Should -BeFalse
    }

    It 'a No at the confirm prompt changes no host and writes no peer file, asked once' {
        $before = (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home)
        $r = Invoke-Answering No Publish-HomeService @{ ServerName = $lab.SiteName; Port = 3000; RelaySession = $vps; HomeSession = $box; PeerFile = $peers; DnsServer = $a.Dns }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output | Should -BeNullOrEmpty
        $r.Prompts | Should -HaveCount 1
        $r.Prompts[0] | Should -Match "Publish $([regex]::Escape($lab.SiteName)) \(port 3000\)"
        (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home) | Should -Be $before
        Test-Path $peers | Should -BeFalse
    }

    It 'makes the peers, installs both ends and the site, and the path passes' {
        $r = Publish $lab.SiteName 3000
        $r.Status | Should -Be 'Pass' -Because ($r.Path.ToTable())
        $r.Changes.State | Should -Be @('Created', 'Created', 'Created', 'Created')
        $r.Changes.Kind | Should -Be @('WireGuard', 'HomeFirewall', 'WireGuard', 'Apache') -Because 'the home side is fenced before its tunnel comes up'
        (stat -c '%a' $peers) | Should -Be '600'
        $saved = Import-TunnelPeer $peers
        @($saved.Role | ForEach-Object ToString | Sort-Object) | Should -Be @('Home', 'Relay')
        ($saved | Where-Object Role -EQ Relay).Endpoint.ToString() | Should -Be "$($a.Relay):51820"
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Should -Match 'hometunnel-lab-home-service'
        ($r | Out-String) | Should -Match 'HomeService\s+Pass'
    }

    It 'reuses the peers the second time and changes nothing' {
        $keys = (Get-Content -Raw $peers)
        $r = Publish $lab.SiteName 3000
        $r.Changes.State | Should -Be @('Unchanged', 'Unchanged', 'Unchanged', 'Unchanged')
        Get-Content -Raw $peers | Should -BeExactly $keys
    }

    It 'adds a second service to the same home machine with a new site and its own hold on the home port' {
        $r = Publish other.example.test 3000
        $r.Status | Should -Be 'Pass' -Because ($r.Path.ToTable())
        # The same port, held by the second service too (its own opening, which its Unpublish alone closes).
        $r.Changes.State | Should -Be @('Unchanged', 'Created', 'Unchanged', 'Created')
        (Get-ChildItem "$($lab.Hosts.home.Directory)/etc-hometunnel/home.d" -Filter 'tcp-3000*').Name | Sort-Object |
            Should -Be @("tcp-3000.wg0@other.example.test.nft", "tcp-3000.wg0@$($lab.SiteName).nft")
    }

    It 'publishes a port forward beside the site, and again changes nothing' {
        $r = Publish $lab.SiteName 3000 -Forward @{ Protocol = 'Tcp'; PublicPort = 8081; Port = 3000 }
        $r.Changes.State | Should -Be @('Unchanged', 'Unchanged', 'Unchanged', 'Unchanged', 'Created')
        $r.Changes[4].Kind | Should -Be 'Forward'
        (Invoke-LabHttp $lab "http://$($a.Relay):8081/").Body | Should -Match 'hometunnel-lab-home-service'
        (Publish $lab.SiteName 3000 -Forward @{ Protocol = 'Tcp'; PublicPort = 8081; Port = 3000 }).Changes.State | Should -Be @('Unchanged', 'Unchanged', 'Unchanged', 'Unchanged', 'Unchanged')
    }

    It 'refuses a forward it cannot read before touching any host' {
        $before = Get-LabStateHash $lab relay
        $e = Get-ErrorRecord { Publish $lab.SiteName 3000 -Forward @{ Protocol = 'Sctp'; PublicPort = 9 } }
        Assert-HomeTunnelError $e 'ForwardProtocolInvalid' 'InvalidArgument' 'Sctp'
        $e = Get-ErrorRecord { Publish $lab.SiteName 3000 -Forward @{ Protocol = 'Tcp'; PublicPort = 9; Target = 'x' } }
        Assert-HomeTunnelError $e 'ForwardPropertyUnknown' 'InvalidArgument' 'Target'
        Get-LabStateHash $lab relay | Should -Be $before
    }

    It 'has no default home machine: neither -HomeSession nor -LocalHome, or both, is refused before any host' {
        $before = Get-LabStateHash $lab relay
        $e = Get-ErrorRecord { Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -PeerFile $peers -DnsServer $a.Dns }
        Assert-HomeTunnelError $e 'HostRequired' 'InvalidArgument' 'HomeSession'
        $e = Get-ErrorRecord { Publish $lab.SiteName 3000 -LocalHome }
        Assert-HomeTunnelError $e 'HostConflict' 'InvalidArgument' 'LocalHome'
        Get-LabStateHash $lab relay | Should -Be $before
    }

    It 'refuses a peer file without private keys before touching any host' {
        $public = Join-Path $TestDrive 'public.json'
        Import-TunnelPeer $peers | Export-TunnelPeer $public
        $before = Get-LabStateHash $lab relay
        { Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -HomeSession $box -PeerFile $public -DnsServer $a.Dns -ErrorAction Stop } |
            Should -Throw -ErrorId 'PeerFileWithoutPrivateKey*'
        Get-LabStateHash $lab relay | Should -Be $before
    }

    # At the confirm prompt (a host that answers every prompt the same way): the second service, published above.
    It 'Unpublish: a No changes nothing and saves nothing; a Yes removes the service, asked once each' {
        Test-Path $otherSite | Should -BeTrue
        $before = (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home), (Get-FileHash $peers).Hash
        $no = Invoke-Answering No Unpublish-HomeService @{ ServerName = 'other.example.test'; RelaySession = $vps; HomeSession = $box; PeerFile = $peers }
        $no.Errors | Should -BeNullOrEmpty
        $no.Output | Should -BeNullOrEmpty
        $no.Prompts | Should -HaveCount 1
        (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home), (Get-FileHash $peers).Hash | Should -Be $before
        $yes = Invoke-Answering Yes Unpublish-HomeService @{ ServerName = 'other.example.test'; RelaySession = $vps; HomeSession = $box; PeerFile = $peers }
        $yes.Errors | Should -BeNullOrEmpty
        $yes.Prompts | Should -HaveCount 1
        $yes.Output.State | Should -Contain 'Removed'
        Test-Path $otherSite | Should -BeFalse
        (Get-Content -Raw "$($lab.Hosts.relay.Directory)/etc-apache2/sites-available/$($lab.SiteName).conf") | Should -Not -BeNullOrEmpty -Because 'the other service stays'
    }

    It 'Install-ApacheProxySite: the confirm prompt holds the diff; a No changes nothing, a Yes applies' {
        $homeAddress = ((Import-TunnelPeer $peers | Where-Object Role -EQ Home | Select-Object -First 1).Address -split '/')[0]
        $site = New-ApacheProxySite -ServerName confirm.example.test -Backend "http://$($homeAddress):8081/"
        $before = Get-LabStateHash $lab relay
        $no = Invoke-Answering No Install-ApacheProxySite @{ InputObject = $site; Session = $vps }
        $no.Errors | Should -BeNullOrEmpty
        $no.Output | Should -BeNullOrEmpty
        $no.Prompts | Should -HaveCount 1
        $no.Prompts[0] | Should -Match 'Install Apache proxy site\(s\) confirm\.example\.test on '
        $no.Prompts[0] | Should -Match '(?m)^\+\s+ServerName confirm\.example\.test$' -Because 'the user answers having seen the lines that change'
        Get-LabStateHash $lab relay | Should -Be $before
        $yes = Invoke-Answering Yes Install-ApacheProxySite @{ InputObject = $site; Session = $vps }
        $yes.Errors | Should -BeNullOrEmpty
        $yes.Prompts | Should -HaveCount 1
        $yes.Output.State | Should -Be 'Created'
        (Uninstall-ApacheProxySite confirm.example.test -Session $vps -Confirm:$false).State | Should -Be 'Removed'
    }

    It 'Publish: a Yes applies once, asked once' {
        $yes = Invoke-Answering Yes Publish-HomeService @{ ServerName = 'other.example.test'; Port = 3000; RelaySession = $vps; HomeSession = $box; PeerFile = $peers; DnsServer = $a.Dns }
        $yes.Errors | Should -BeNullOrEmpty
        $yes.Prompts | Should -HaveCount 1
        $yes.Output | Should -HaveCount 1
        $yes.Output[0].Changes.State | Should -Be @('Unchanged', 'Created', 'Unchanged', 'Created')
        $yes.Output[0].Status | Should -Be 'Pass'
        Test-Path $otherSite | Should -BeTrue
    }
}
