# Every rendered site passes the real 'apache2ctl configtest' in a temporary ServerRoot, and every
# bad input that the validator stops would otherwise have passed it.
BeforeDiscovery {
    $haveApache = [bool](Get-Command apache2ctl -ErrorAction Ignore)
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $sandbox = New-ApacheSandbox
    $certs = New-TestCertificate $sandbox 'files.example.test'
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
}
AfterAll { if ($sandbox) { Remove-Item $sandbox -Recurse -Force -ErrorAction Ignore } }

Describe 'Rendered sites pass apache2ctl configtest' -Skip:(-not $haveApache) {
    It 'passes for <Name>' -ForEach @(
        @{ Name = 'plain HTTP'; Make = { $homePeer | New-ApacheProxySite -ServerName site.example.test -Port 3000 } }
        @{ Name = 'HTTPS with mod_md'; Make = { $homePeer | New-ApacheProxySite -ServerName site.example.test -Port 3000 -Https } }
        @{ Name = 'HTTPS with files'; Make = { $homePeer | New-ApacheProxySite -ServerName files.example.test -Port 3000 -CertificateFile $certs.Certificate -CertificateKeyFile $certs.Key } }
        @{ Name = 'HTTP and HTTPS both proxied'; Make = { $homePeer | New-ApacheProxySite -ServerName both.example.test -Port 3000 -Http -Https } }
        @{ Name = 'WebSocket off, every default changed'; Make = { $homePeer | New-ApacheProxySite -ServerName ws.example.test -Port 3000 -WebSocket:$false -PreserveHost:$false -ForwardedHeaders:$false -ConnectTimeout 1 -Retry 60 -ProxyTimeout 3600 } }
        @{ Name = 'a path prefix'; Make = { $homePeer | New-ApacheProxySite -ServerName path.example.test -Port 3000 -Path /app/v1 } }
        @{ Name = 'aliases, a wildcard and IPv6'; Make = { New-ApacheProxySite -ServerName alias.example.test -ServerAlias www.alias.example.test, '*.alias.example.test' -Backend 'http://[fd00:4::2]:3000/' } }
        @{ Name = 'HTTPS by ACME DNS-01, a wildcard alias'; Make = {
                $tsig = [pscredential]::new('hometunnel', (ConvertTo-SecureString ([Convert]::ToBase64String([byte[]](1..32))) -AsPlainText -Force))
                $homePeer | New-ApacheProxySite -ServerName dns.example.test -ServerAlias '*.dns.example.test' -Port 3000 -Https -AcmeChallenge Dns01 -DnsServer 192.0.2.53 -Zone example.test -DnsKey $tsig } }
        @{ Name = 'the parsed seed'; Make = { Import-ApacheProxySite "$PSScriptRoot/fixtures/seed-sites.conf" } }
    ) {
        $sites = @(& $Make)
        $text = ($sites | ForEach-Object Text) -join "`n"
        $modules = @($sites.RequiredModules | Select-Object -Unique)
        $result = Test-ApacheSandboxSite $sandbox $text $modules
        $result.Ok | Should -BeTrue -Because $result.Output
    }
}

Describe 'The validator, not luck, stops bad input' -Skip:(-not $haveApache) {
    # Each raw value, pasted into the naive template a hand-written script would use, passes configtest:
    # Apache would have taken it. New-ApacheProxySite refuses it with its own error id.
    It 'refuses <Case> (<ErrorId>) that Apache would have accepted' -ForEach @(
        @{ Case = 'a server name that opens an open proxy'; Field = 'ServerName'; Value = "evil.test`nProxyRequests On"; ErrorId = 'ServerNameHasForbiddenCharacter' }
        @{ Case = 'an alias that proxies the relay''s own ssh'; Field = 'ServerAlias'; Value = "b.test`nProxyPass /x http://127.0.0.1:22/"; ErrorId = 'ServerAliasHasForbiddenCharacter' }
        @{ Case = 'a server name with a quote'; Field = 'ServerName'; Value = 'a.test"'; ErrorId = 'ServerNameHasForbiddenCharacter' }
        @{ Case = 'a 64-character label'; Field = 'ServerName'; Value = ('a' * 64) + '.test'; ErrorId = 'ServerNameLabelLength' }
        @{ Case = 'an underscore in a name'; Field = 'ServerName'; Value = 'my_site.test'; ErrorId = 'ServerNameInvalid' }
        @{ Case = 'a path with a hidden directive'; Field = 'Path'; Value = "/app/ http://10.0.0.2:3000/`nProxyRequests On`n#"; ErrorId = 'PathHasForbiddenCharacter' }
        @{ Case = 'a path with ..'; Field = 'Path'; Value = '/app/../'; ErrorId = 'PathHasDotSegment' }
        @{ Case = 'a backend with credentials'; Field = 'Backend'; Value = 'http://admin:secret@10.0.0.2:3000/'; ErrorId = 'BackendHasCredentials' }
        @{ Case = 'a backend with a hidden directive'; Field = 'Backend'; Value = "http://10.0.0.2:3000/`nProxyRequests On"; ErrorId = 'BackendHasForbiddenCharacter' }
        @{ Case = 'a backend with a query'; Field = 'Backend'; Value = 'http://10.0.0.2:3000/?debug=1'; ErrorId = 'BackendHasQuery' }
        @{ Case = 'a continuation that swallows the ProxyPass line'; Field = 'ServerAlias'; Value = 'b.test \'; ErrorId = 'ServerAliasHasForbiddenCharacter' }
    ) {
        $values = @{ ServerName = 'a.test'; ServerAlias = 'www.a.test'; Path = '/'; Backend = 'http://10.0.0.2:3000/' }
        $values[$Field] = $Value
        $naive = "<VirtualHost *:80>`n    ServerName $($values.ServerName)`n    ServerAlias $($values.ServerAlias)`n    ProxyPass $($values.Path) $($values.Backend)`n    ProxyPassReverse $($values.Path) $($values.Backend)`n</VirtualHost>`n"
        $result = Test-ApacheSandboxSite $sandbox $naive
        $result.Ok | Should -BeTrue -Because "the raw value must be one Apache accepts, or this case proves nothing: $($result.Output)"

        $splat = @{ ServerName = $values.ServerName; ServerAlias = $values.ServerAlias; Path = $values.Path; Backend = $values.Backend }
        $record = Get-ErrorRecord { New-ApacheProxySite @splat }
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.TargetObject | Should -Be $Value
    }
}
