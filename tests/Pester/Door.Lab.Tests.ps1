# Doors on the lab's real relay: -AllowFrom lets in only the listed client networks (403 for the rest), basic
# auth asks for the one user's password (401 without it), the ACME path stays open, and the htpasswd file holds
# only a bcrypt hash, 0640 root:www-data, kept across re-applies.
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htdoor -Index 5 -Install
    $secret = 'Lab-Door-Pass-29c1'
    $cred = [pscredential]::new('alice', (ConvertTo-SecureString $secret -AsPlainText -Force))
    $url = "http://$($lab.SiteName)/door"
    $passwordFile = "$($lab.Hosts.relay.Directory)/etc-apache2/hometunnel/$($lab.SiteName).htpasswd"
    function Get-Door([string] $FromHost = 'client', [string[]] $CurlArgument = @()) { (Invoke-LabHttp $lab $url -FromHost $FromHost -CurlArgument $CurlArgument).Status }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Doors on a site, on the lab relay' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'lets in only the -AllowFrom networks: the visitor outside gets 403, one inside the service' {
        $door = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -AllowFrom "$($a.Dns)/32"
        ($door | Install-ApacheProxySite -Session $vps).State | Should -Be 'Changed'
        Get-Door client | Should -Be '403'
        Get-Door inet | Should -Be '200'
        ($door | Install-ApacheProxySite -Session $vps).State | Should -Be 'Unchanged'
    }

    It 'asks for the password: 401 without it or with a wrong one, 200 with it; only a bcrypt hash on the relay' {
        $door = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -Credential $cred
        $r = $door | Install-ApacheProxySite -Session $vps
        $r.State | Should -Be 'Changed'
        $r.Actions | Should -Contain "wrote /etc/apache2/hometunnel/$($lab.SiteName).htpasswd"
        Get-Door | Should -Be '401'
        Get-Door client @('-u', 'alice:wrong') | Should -Be '401'
        Get-Door client @('-u', "alice:$secret") | Should -Be '200'
        Get-Door client @('-u', "bob:$secret") | Should -Be '401'
        $text = Get-Content -Raw $passwordFile
        $text | Should -Match '^# Managed by HomeTunnel: the basic-auth user of site\.example\.test\nalice:\$2y\$10\$[./A-Za-z0-9]{53}\n$'
        $text | Should -Not -Match $secret
        Invoke-LabHost $lab relay stat -c '%a %U %G' "/etc/apache2/hometunnel/$($lab.SiteName).htpasswd" | Should -Be '640 root www-data'
    }

    It 'changes nothing when applied again, with the password or with just the user: the hash on the relay is kept' {
        $hash = Get-FileHash $passwordFile
        ($homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -Credential $cred | Install-ApacheProxySite -Session $vps).State | Should -Be 'Unchanged'
        ($homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -BasicAuthUser alice | Install-ApacheProxySite -Session $vps).State | Should -Be 'Unchanged'
        (Get-FileHash $passwordFile).Hash | Should -Be $hash.Hash
    }

    It 'shows a new password in -WhatIf as a changed hash, never the hash or the password, and then lets in only the new one' {
        $new = [pscredential]::new('alice', (ConvertTo-SecureString 'Second-Pass-8d' -AsPlainText -Force))
        $door = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -Credential $new
        # What-if text goes to the host, so a transcript is what sees it.
        $transcript = Join-Path $lab.Directory 'door-whatif.txt'
        Start-Transcript -LiteralPath $transcript -UseMinimalHeader | Out-Null
        try { $door | Install-ApacheProxySite -Session $vps -WhatIf }
        finally { Stop-Transcript | Out-Null }
        $preview = Get-Content -Raw $transcript
        $preview | Should -Match '(?m)^-alice:\(bcrypt hash\)\r?\n\+alice:\(a new bcrypt hash\)'
        $preview | Should -Not -Match '\$2y\$|Second-Pass|Lab-Door-Pass'
        Get-Door client @('-u', "alice:$secret") | Should -Be '200' -Because '-WhatIf changed nothing'
        ($door | Install-ApacheProxySite -Session $vps).State | Should -Be 'Changed'
        Get-Door client @('-u', "alice:$secret") | Should -Be '401'
        Get-Door client @('-u', 'alice:Second-Pass-8d') | Should -Be '200'
    }

    It 'needs both when given both, and keeps the ACME challenge path open behind the door' {
        $door = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -Credential $cred -AllowFrom "$($a.Dns)/32"
        $null = $door | Install-ApacheProxySite -Session $vps
        Get-Door client @('-u', "alice:$secret") | Should -BeIn '401', '403'
        Get-Door inet | Should -Be '401'
        Get-Door inet @('-u', "alice:$secret") | Should -Be '200'
        # Not proxied, not behind the door: the relay itself answers (404 here, mod_md's token during a renewal).
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/.well-known/acme-challenge/probe").Status | Should -Be '404'
        # The path check sees the door answer from outside and looks behind it from the relay.
        $r = Test-TunnelPath $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns
        $r.Status | Should -Be 'Pass' -Because ($r.ToTable())
        ($r.Hops | Where-Object Hop -EQ 'EndToEnd').Detail | Should -Match "the site's door answered"
    }

    It 'refuses a user without a password when the relay holds no hash for it, and changes nothing' {
        $before = Get-FileHash $passwordFile
        $e = Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -BasicAuthUser bob | Install-ApacheProxySite -Session $vps }
        $e.FullyQualifiedErrorId | Should -BeLike 'BasicAuthPasswordMissing*'
        $e.ErrorDetails.RecommendedAction | Should -Match '-Credential'
        (Get-FileHash $passwordFile).Hash | Should -Be $before.Hash
    }

    It 'refuses to replace a password file it did not write, and removes only its own' {
        $null = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 | Install-ApacheProxySite -Session $vps
        Test-Path $passwordFile | Should -BeFalse -Because 'a site without a user has no password file'
        Get-Door | Should -Be '200'
        Set-Content -LiteralPath $passwordFile -Value 'owner:$apr1$x$y' -NoNewline
        $e = Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -Credential $cred | Install-ApacheProxySite -Session $vps }
        $e.FullyQualifiedErrorId | Should -BeLike 'NotOwnedByHomeTunnel*'
        Get-Content -Raw $passwordFile | Should -Be 'owner:$apr1$x$y'
        ($site | Uninstall-ApacheProxySite -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        Get-Content -Raw $passwordFile | Should -Be 'owner:$apr1$x$y' -Because 'HomeTunnel removes only what it wrote'
        Remove-Item $passwordFile
    }
}
