# ACME DNS-01 for a site: what New-ApacheProxySite writes (an <MDomain> section naming HomeTunnel's hook), what the
# parser reads back and refuses (any other hook is a command Apache would run), where the TSIG key may appear (nowhere
# but the relay's 0600 file), and the hook itself against hostile arguments (mod_md passes names and tokens that an
# ACME order carries). The lab (TwoRelays.Lab) proves the whole path with pebble and bind.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $secret = [Convert]::ToBase64String([byte[]](101..132))
    $tsig = [pscredential]::new('hometunnel', (ConvertTo-SecureString $secret -AsPlainText -Force))
    $dns01 = @{ Https = $true; AcmeChallenge = 'Dns01'; DnsServer = '192.0.2.53'; Zone = 'example.test'; DnsKey = $tsig }
    $backend = 'http://192.168.4.2:3000/'
    function New-Dns01Site([string] $Name = 'app.example.test', [string[]] $Alias) {
        $extra = if ($Alias) { @{ ServerAlias = $Alias } } else { @{} }
        New-ApacheProxySite $Name -Backend $backend @dns01 @extra
    }
}

Describe 'A site that gets its certificate by DNS-01' {
    It 'writes an MDomain section with HomeTunnel''s hook, the server, the zone and the site''s key file, and reads it back the same' {
        $site = New-Dns01Site -Alias '*.app.example.test'
        $site.AcmeChallenge | Should -Be 'Dns01'
        $site.AcmeDnsServer | Should -Be '192.0.2.53:53'
        $site.AcmeDnsZone | Should -Be 'example.test'
        $site.AcmeDnsKeyFile | Should -Be '/etc/apache2/hometunnel/app.example.test.dns01.key'
        $site.Text | Should -Match ([regex]::Escape("<MDomain app.example.test *.app.example.test>`n    MDCAChallenges dns-01`n    MDChallengeDns01 /etc/apache2/hometunnel/acme-dns01 192.0.2.53 53 example.test /etc/apache2/hometunnel/app.example.test.dns01.key`n</MDomain>`n"))
        $back = ConvertFrom-ApacheProxySite -Text $site.Text
        $back.Text | Should -BeExactly $site.Text
        $back.AcmeChallenge | Should -Be 'Dns01'
        $back.AcmeDnsZone | Should -Be 'example.test'
    }

    It 'takes a wildcard alias only with DNS-01' {
        (New-Dns01Site -Alias '*.app.example.test').ServerAliases | Should -Be @('*.app.example.test')
        $record = Get-ErrorRecord { New-ApacheProxySite app.example.test -ServerAlias '*.app.example.test' -Backend $backend -Https }
        Assert-HomeTunnelError $record 'WildcardNeedsDnsChallenge' 'InvalidArgument' '*.app.example.test'
    }

    It 'refuses <Case> (<Id>)' -ForEach @(
        @{ Case = 'DNS-01 without HTTPS'; Id = 'AcmeChallengeNeedsAcme'; Change = @{ Https = $false } }
        @{ Case = 'no DNS server'; Id = 'AcmeDnsServerMissing'; Change = @{ DnsServer = $null } }
        @{ Case = 'no zone'; Id = 'AcmeDnsZoneMissing'; Change = @{ Zone = $null } }
        @{ Case = 'a zone that does not hold the name'; Id = 'DnsNameOutsideZone'; Change = @{ Zone = 'other.test' } }
        @{ Case = 'a DNS server that is no address'; Id = 'InvalidDnsServer'; Change = @{ DnsServer = 'ns.example.test' } }
        @{ Case = 'a zone with a line break'; Id = 'Zone*'; Change = @{ Zone = "example.test`nMDMessageCmd /bin/sh" } }
    ) {
        $splat = $dns01.Clone()
        foreach ($k in $Change.Keys) { if ($null -eq $Change[$k]) { $splat.Remove($k) } else { $splat[$k] = $Change[$k] } }
        $record = Get-ErrorRecord { New-ApacheProxySite app.example.test -Backend $backend @splat }
        $record.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a DNS server, zone or key given without -AcmeChallenge Dns01' {
        $record = Get-ErrorRecord { New-ApacheProxySite app.example.test -Backend $backend -Https -DnsServer 192.0.2.53 }
        Assert-HomeTunnelError $record 'AcmeDnsSettingWithoutDns01' 'InvalidArgument' '192.0.2.53'
    }

    It 'takes the settings from data by name, never a number, and never the key' {
        $table = @{ ServerName = 'app.example.test'; Backend = $backend; Https = $true; AcmeChallenge = 'dns01'; AcmeDnsServer = '192.0.2.53'; AcmeDnsZone = 'example.test' }
        ($table | New-ApacheProxySite).AcmeChallenge | Should -Be 'Dns01'
        $table.AcmeChallenge = '1'
        Assert-HomeTunnelError (Get-ErrorRecord { $table | New-ApacheProxySite }) 'SitePropertyWrongType' 'InvalidArgument' '1'
        $table.AcmeChallenge = 'Dns01'; $table.AcmeDnsKey = 'x'
        Assert-HomeTunnelError (Get-ErrorRecord { $table | New-ApacheProxySite }) 'SitePropertyUnknown' 'InvalidArgument' 'AcmeDnsKey'
    }

    It 'shows the TSIG key in no output, JSON, CLIXML or format' {
        $site = New-Dns01Site
        $clixml = Join-Path $TestDrive 'site.xml'
        $site | Export-Clixml $clixml
        $text = @(($site | ConvertTo-Json -Depth 6), (Get-Content $clixml -Raw), ($site | Format-List * | Out-String), ($site | Out-String), "$site") -join "`n"
        $text | Should -Not -Match ([regex]::Escape($secret))
        $text | Should -Match 'app.example.test'
    }
}

Describe 'Reading an MDomain section' {
    It 'refuses <Case> (<Id>)' -ForEach @(
        @{ Case = 'another program as the hook'; Id = 'MDomainHookNotAllowed'; From = '/etc/apache2/hometunnel/acme-dns01 '; To = '/bin/sh -c id ' }
        @{ Case = 'another site''s key file'; Id = 'MDomainHookNotAllowed'; From = 'app.example.test.dns01.key'; To = 'other.example.test.dns01.key' }
        @{ Case = 'a key file outside HomeTunnel''s folder'; Id = 'MDomainHookNotAllowed'; From = '/etc/apache2/hometunnel/app.example.test.dns01.key'; To = '/etc/shadow' }
        @{ Case = 'a mod_md notify command beside it'; Id = 'MDomainDirectiveNotAllowed'; From = '    MDCAChallenges dns-01'; To = "    MDCAChallenges dns-01`n    MDMessageCmd /bin/sh" }
        @{ Case = 'HTTP-01 in the section'; Id = 'MDomainDirectiveNotAllowed'; From = 'MDCAChallenges dns-01'; To = 'MDCAChallenges http-01' }
        @{ Case = 'a server that is a name'; Id = 'InvalidDnsServer'; From = ' 192.0.2.53 53 '; To = ' ns.example.test 53 ' }
        @{ Case = 'a port out of range'; Id = 'InvalidDnsServer'; From = ' 192.0.2.53 53 '; To = ' 192.0.2.53 70000 ' }
    ) {
        $text = (New-Dns01Site).Text.Replace($From, $To)
        $text | Should -Not -BeExactly (New-Dns01Site).Text -Because 'the case changes the file'
        $record = Get-ErrorRecord { ConvertFrom-ApacheProxySite -Text $text }
        $record.FullyQualifiedErrorId | Should -BeLike "$Id*"
    }

    It 'refuses mod_md''s hooks anywhere else as programs Apache runs' {
        $plain = New-ApacheProxySite app.example.test -Backend $backend
        foreach ($directive in 'MDChallengeDns01 /bin/sh', 'MDMessageCmd /bin/sh', 'MDNotifyCmd /bin/sh') {
            $record = Get-ErrorRecord { ConvertFrom-ApacheProxySite -Text ("$directive`n" + $plain.Text) }
            $record.FullyQualifiedErrorId | Should -BeLike 'ApacheRunsProgram*'
            $inside = $plain.Text.Replace('    ProxyRequests Off', "    $directive`n    ProxyRequests Off")
            (Get-ErrorRecord { ConvertFrom-ApacheProxySite -Text $inside }).FullyQualifiedErrorId | Should -BeLike 'ApacheRunsProgram*'
        }
    }
}

Describe 'The DNS-01 hook on the relay' -Skip:(-not $IsLinux) {
    BeforeAll {
        # The hook as the relay gets it, and an nsupdate that records what it was sent: what reaches the real one is
        # proved in the lab; here, that no argument adds a line to the update.
        $dir = Join-Path $TestDrive 'hook'
        New-Item -ItemType Directory $dir | Out-Null
        $hook = Join-Path $dir 'acme-dns01'
        Set-Content -LiteralPath $hook -Value ([HomeTunnel.Apache.AcmeDns01]::HookText) -NoNewline
        $sent = Join-Path $dir 'sent'
        Set-Content -LiteralPath (Join-Path $dir 'nsupdate') -Value "#!/bin/sh`necho `"args: `$*`" > '$sent'`ncat >> '$sent'`n"
        chmod 755 $hook (Join-Path $dir 'nsupdate')
        $key = '/etc/apache2/hometunnel/app.example.test.dns01.key'
        function Invoke-Hook([string[]] $Arguments) {
            Remove-Item -LiteralPath $sent -ErrorAction Ignore
            $out = & env "PATH=$($dir):/usr/bin:/bin" sh $hook @Arguments 2>&1
            [pscustomobject]@{ Exit = $LASTEXITCODE; Output = "$out"; Sent = if (Test-Path $sent) { Get-Content -LiteralPath $sent -Raw } }
        }
    }

    It 'sends one add for setup and one delete for teardown, inside the zone' {
        $r = Invoke-Hook @('192.0.2.53', '53', 'example.test', $key, 'setup', 'app.example.test', 'Abc_-123')
        $r.Exit | Should -Be 0 -Because $r.Output
        $r.Sent | Should -BeExactly "args: -k $key -t 10`nserver 192.0.2.53 53`nzone example.test.`nupdate add _acme-challenge.app.example.test. 60 IN TXT `"Abc_-123`"`nsend`n"
        $r = Invoke-Hook @('192.0.2.53', '53', 'example.test', $key, 'teardown', 'App.Example.Test')
        $r.Exit | Should -Be 0
        $r.Sent | Should -Match "(?m)^update delete _acme-challenge\.app\.example\.test\. IN TXT$"
        (Invoke-Hook @('192.0.2.53', '53', 'example.test', $key, 'teardown', 'app.example.test', 'Abc')).Sent | Should -Match '(?m)^update delete _acme-challenge\.app\.example\.test\. IN TXT "Abc"$'
    }

    It 'refuses <Case> and sends nothing' -ForEach @(
        @{ Case = 'a domain with a line break'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'setup', "app.example.test`nupdate delete example.test.", 'abc') }
        @{ Case = 'a domain outside the zone'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'setup', 'evil.test', 'abc') }
        @{ Case = 'a domain that only ends like the zone'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'setup', 'badexample.test', 'abc') }
        @{ Case = 'a challenge with a quote'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'setup', 'app.example.test', 'a" ; update add x') }
        @{ Case = 'a key file elsewhere'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/shadow', 'setup', 'app.example.test', 'abc') }
        @{ Case = 'a server with a line break'; Arguments = @("192.0.2.53`nzone .", '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'setup', 'app.example.test', 'abc') }
        @{ Case = 'an unknown action'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'send', 'app.example.test', 'abc') }
        @{ Case = 'setup without a challenge'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'setup', 'app.example.test') }
        @{ Case = 'too many arguments'; Arguments = @('192.0.2.53', '53', 'example.test', '/etc/apache2/hometunnel/app.example.test.dns01.key', 'setup', 'app.example.test', 'abc', 'x') }
    ) {
        $r = Invoke-Hook $Arguments
        $r.Exit | Should -Be 2 -Because $r.Output
        $r.Sent | Should -BeNullOrEmpty
    }
}

Describe 'Planning a DNS-01 site on a relay' {
    BeforeAll {
        $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
        $site = $homePeer | New-ApacheProxySite -ServerName other.example.test -Port 8080 -Https -AcmeChallenge Dns01 -DnsServer 192.0.2.53 -Zone example.test -DnsKey $tsig
        $keyPath = '/etc/apache2/hometunnel/other.example.test.dns01.key'
        # Recorded facts of a relay that has none of the site's files yet, with the DNS-01 facts set per case.
        function Get-Plan($Site = $site, [hashtable] $AcmeKey, [string] $Hook, $Nsupdate = $true, [switch] $Force, [switch] $Uninstall) {
            $facts = Read-AgentFacts 'apache-facts-new' ApacheFacts {
                param($f)
                $f.Sites[0].AcmeKey = $AcmeKey
                $f.Hook = if ($Hook) { $Hook } else { $null }
                $f.Nsupdate = $Nsupdate
            }
            [HomeTunnel.Hosts.ApachePlanner]::Plan($facts, [HomeTunnel.Apache.ApacheProxySite[]]@($Site), [bool]$Uninstall, [bool]$Force, $null)
        }
        function Get-Digest([string] $Text) { [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($Text))) }
    }

    It 'writes the hook and the key file on a relay that has neither, showing the key by name only' {
        $plan = Get-Plan
        $plan.ErrorId | Should -BeNullOrEmpty
        $plan.Plan.HookChanged | Should -BeTrue
        $plan.Plan.HookText | Should -BeExactly ([HomeTunnel.Apache.AcmeDns01]::HookText)
        $plan.Plan.Sites[0].AcmeKeyChanged | Should -BeTrue
        $plan.Plan.Sites[0].AcmeKeyText | Should -Match ([regex]::Escape($secret)) -Because 'the agent writes the key'
        $plan.Plan.Sites[0].AcmeKeyUser | Should -Be 'www-data'
        ($plan.Files | Where-Object Path -EQ $keyPath) | Should -Not -BeNullOrEmpty
        (($plan.Files | ForEach-Object { "$($_.Path) $($_.Current)" }) -join "`n") | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'keeps a key file whose digest is the one it would write, and rewrites one that differs' {
        $text = (Get-Plan).Plan.Sites[0].AcmeKeyText
        (Get-Plan -AcmeKey @{ Digest = (Get-Digest $text); Ours = $true } -Hook ([HomeTunnel.Apache.AcmeDns01]::HookText)).Plan.Sites[0].AcmeKeyChanged | Should -BeFalse
        (Get-Plan -AcmeKey @{ Digest = (Get-Digest "$text "); Ours = $true }).Plan.Sites[0].AcmeKeyChanged | Should -BeTrue
    }

    It 'refuses <Case> (<Id>), and -Force takes over a file that is not HomeTunnel''s' -ForEach @(
        @{ Case = 'a key file HomeTunnel did not write'; Id = 'NotOwnedByHomeTunnel'; AcmeKey = @{ Digest = 'AB'; Ours = $false }; Hook = $null; ForceTakes = $true }
        @{ Case = 'a hook HomeTunnel did not write'; Id = 'NotOwnedByHomeTunnel'; AcmeKey = $null; Hook = "#!/bin/sh`necho owner's own"; ForceTakes = $true }
    ) {
        (Get-Plan -AcmeKey $AcmeKey -Hook $Hook).ErrorId | Should -Be $Id
        (Get-Plan -AcmeKey $AcmeKey -Hook $Hook -Force).ErrorId | Should -BeNullOrEmpty
    }

    It 'refuses a relay without nsupdate (AcmeDnsToolMissing), whatever -Force says' {
        (Get-Plan -Nsupdate $false).ErrorId | Should -Be 'AcmeDnsToolMissing'
        (Get-Plan -Nsupdate $false -Force).ErrorId | Should -Be 'AcmeDnsToolMissing'
    }

    It 'installs a site read back from the relay only when its key file is there (AcmeDnsKeyMissing)' {
        $back = ConvertFrom-ApacheProxySite -Text $site.Text
        (Get-Plan -Site $back).ErrorId | Should -Be 'AcmeDnsKeyMissing'
        $kept = Get-Plan -Site $back -AcmeKey @{ Digest = 'AB'; Ours = $true }
        $kept.ErrorId | Should -BeNullOrEmpty
        $kept.Plan.Sites[0].AcmeKeyChanged | Should -BeFalse
    }

    It 'removes HomeTunnel''s key file with the site, and leaves another''s' {
        (Get-Plan -Uninstall -AcmeKey @{ Digest = 'AB'; Ours = $true }).Plan.Sites[0].AcmeKeyChanged | Should -BeTrue
        (Get-Plan -Uninstall -AcmeKey @{ Digest = 'AB'; Ours = $false }).Plan.Sites[0].AcmeKeyChanged | Should -BeFalse
        (Get-Plan -Uninstall -AcmeKey $null).Plan.Sites[0].AcmeKeyChanged | Should -BeFalse
    }
}
