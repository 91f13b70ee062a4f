# The relay's public face with the generated sites: what a stranger on the internet can make it do.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix htpub2 -Index 13
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $null = Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -HomeSession $box -PeerFile (Join-Path $TestDrive 'p.json') -DnsServer $a.Dns
    $marker = 'hometunnel-lab-home-service'
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'The relay''s public face' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'serves the site by its name (the control for the tests below)' {
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Should -Match $marker
    }

    It 'never hands an unknown Host to a home service' {
        $r = Invoke-LabHttp $lab "http://$($a.Relay)/" -CurlArgument '-H', 'Host: unknown.example.test'
        $r.Status | Should -Not -BeNullOrEmpty
        $r.Body | Should -Not -Match $marker
    }

    It 'never hands the bare IP to a home service' {
        (Invoke-LabHttp $lab "http://$($a.Relay)/").Body | Should -Not -Match $marker
    }

    It 'does not proxy an absolute-form request to another host (no open proxy)' {
        # Through the relay as a forward proxy, to an address only the relay can reach: the home service.
        $r = Invoke-LabHttp $lab 'http://192.168.4.2:3000/' -CurlArgument '-x', "http://$($a.Relay):80"
        $r.Body | Should -Not -Match $marker
        $r = Invoke-LabHttp $lab "http://$($a.Relay)/" -CurlArgument '--request-target', 'http://192.168.4.2:3000/', '-H', 'Host: 192.168.4.2:3000'
        $r.Body | Should -Not -Match $marker
    }

    It 'does not let a forged X-Forwarded-For reach the home app as the client address' {
        $r = Invoke-LabHttp $lab "http://$($lab.SiteName)/" -CurlArgument '-H', 'X-Forwarded-For: 6.6.6.6'
        $r.Body | Should -Match $marker
        $r.Body | Should -Match "(?m)^X-Forwarded-For: $([regex]::Escape($a.Client))\r?$"
        $r.Body | Should -Not -Match '6\.6\.6\.6'
    }

    It 'refuses TRACE, even on a relay whose own Apache defaults would allow it' {
        $security = "$($lab.Hosts.relay.Directory)/etc-apache2/conf-enabled/security.conf"
        Invoke-LabHost $lab relay a2disconf -q security | Out-Null
        Invoke-LabHost $lab relay apache2ctl graceful 2>&1 | Out-Null
        try {
            Test-Path $security | Should -BeFalse -Because 'the test runs without Debian''s TraceEnable Off'
            $r = Invoke-LabHttp $lab "http://$($lab.SiteName)/" -CurlArgument '-X', 'TRACE'
            $r.Status | Should -Be '405'
            $r.Body | Should -Not -Match $marker
            # The control: another vhost on the same relay, without HomeTunnel's line, does answer TRACE.
            (Invoke-LabHttp $lab "http://$($a.Relay)/" -CurlArgument '-X', 'TRACE').Status | Should -Be '200'
        }
        finally {
            Invoke-LabHost $lab relay a2enconf -q security | Out-Null
            Invoke-LabHost $lab relay apache2ctl graceful 2>&1 | Out-Null
        }
    }
}
