BeforeAll {
    . $PSScriptRoot/Common.ps1
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
}

Describe 'New-ApacheProxySite' {
    It 'binds the backend from a piped home peer and uses the careful defaults' {
        $site = $homePeer | New-ApacheProxySite -ServerName site.example.com -Port 3000
        "$($site.Backend)" | Should -Be 'http://192.168.4.2:3000/'
        $site.FileName | Should -Be 'site.example.com.conf'
        $site.RequiredModules | Should -Be @('proxy', 'proxy_http', 'headers')
        $site.Text | Should -BeExactly (@(
                '# Managed by HomeTunnel: site.example.com -> http://192.168.4.2:3000/'
                ''
                '<VirtualHost *:80>'
                '    ServerName site.example.com'
                '    ProxyRequests Off'
                '    TraceEnable Off'
                '    ProxyPreserveHost On'
                '    ProxyTimeout 60'
                '    RequestHeader unset X-Forwarded-For early'
                '    RequestHeader set X-Forwarded-Proto "http"'
                '    ProxyPass /.well-known/acme-challenge/ !'
                '    ProxyPass / http://192.168.4.2:3000/ connectiontimeout=5 retry=0 upgrade=websocket'
                '    ProxyPassReverse / http://192.168.4.2:3000/'
                '</VirtualHost>'
                ''
            ) -join "`n")
    }

    It 'lets every default be changed' {
        $site = New-ApacheProxySite -ServerName a.test -Backend http://10.0.0.2:81/ -WebSocket:$false -PreserveHost:$false -ForwardedHeaders:$false -AcmeChallengeException:$false -ConnectTimeout 2 -Retry 5 -ProxyTimeout 300
        $site.Text | Should -Match 'ProxyPreserveHost Off'
        $site.Text | Should -Match 'ProxyTimeout 300'
        $site.Text | Should -Match 'ProxyPass / http://10.0.0.2:81/ connectiontimeout=2 retry=5\n'
        $site.Text | Should -Not -Match 'RequestHeader|acme-challenge|upgrade='
        $site.RequiredModules | Should -Be @('proxy', 'proxy_http')
    }

    It 'makes one site per piped peer, CSV row, object or hashtable' {
        $rows = "ServerName,Address,Port`na.example.test,192.168.4.2/32,3000`nb.example.test,192.168.4.3/32,8080" | ConvertFrom-Csv
        ($rows | New-ApacheProxySite).Backend | Should -Be @('http://192.168.4.2:3000/', 'http://192.168.4.3:8080/')
        $tables = @{ ServerName = 'c.example.test'; Address = '192.168.4.4/32'; Port = 9000 }, @{ ServerName = 'd.example.test'; Backend = 'http://192.168.4.5:80/'; ServerAlias = 'www.d.example.test' }
        $sites = $tables | New-ApacheProxySite
        $sites.ServerName | Should -Be @('c.example.test', 'd.example.test')
        $sites[1].ServerAliases | Should -Be @('www.d.example.test')
        ([pscustomobject]@{ ServerName = 'e.example.test'; Address = '192.168.4.6'; Port = 1 } | New-ApacheProxySite).Backend | Should -Be 'http://192.168.4.6:1/'
    }

    It 'normalises names: case, trailing dot, IDN to punycode' {
        $site = New-ApacheProxySite -ServerName 'Café.Example.TEST.' -ServerAlias 'WWW.café.example.test', '*.café.example.test' -Backend http://10.0.0.2/
        $site.ServerName | Should -Be 'xn--caf-dma.example.test'
        $site.ServerAliases | Should -Be @('www.xn--caf-dma.example.test', '*.xn--caf-dma.example.test')
    }

    It 'serves HTTPS through mod_md with a redirect from :80' {
        $site = $homePeer | New-ApacheProxySite -ServerName site.example.com -Port 3000 -Https
        $site.Tls | Should -Be 'Acme'
        $site.Text | Should -Match '(?m)^MDomain site.example.com$'
        $site.Text | Should -Match 'Redirect permanent / https://site.example.com/'
        $site.Text | Should -Match 'X-Forwarded-Proto "https"'
        $site.RequiredModules | Should -Be @('proxy', 'proxy_http', 'headers', 'alias', 'ssl', 'md')
    }

    It 'serves HTTPS from given files, and both ports when asked' {
        $site = New-ApacheProxySite -ServerName s.test -Backend http://10.0.0.2:3000/ -Http -Https -CertificateFile /etc/ssl/certs/s.pem -CertificateKeyFile /etc/ssl/private/s.key
        $site.Tls | Should -Be 'Files'
        $site.HttpRedirect | Should -BeFalse
        ([regex]::Matches($site.Text, 'ProxyPass / ')).Count | Should -Be 2
        $site.RequiredModules | Should -Not -Contain 'md'
    }

    It 'rejects <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'a server name with a newline and a directive'; Params = @{ ServerName = "a.test`nProxyRequests On" }; ErrorId = 'ServerNameHasForbiddenCharacter' }
        @{ Case = 'a server name with a space'; Params = @{ ServerName = 'a.test b.test' }; ErrorId = 'ServerNameHasForbiddenCharacter' }
        @{ Case = 'a server name with a quote'; Params = @{ ServerName = 'a.test"' }; ErrorId = 'ServerNameHasForbiddenCharacter' }
        @{ Case = 'a server name with an angle bracket'; Params = @{ ServerName = 'a.test>' }; ErrorId = 'ServerNameHasForbiddenCharacter' }
        @{ Case = 'a wildcard server name'; Params = @{ ServerName = '*.a.test' }; ErrorId = 'ServerNameWildcardNotAllowed' }
        @{ Case = 'a label of 64 characters'; Params = @{ ServerName = ('a' * 64) + '.test' }; ErrorId = 'ServerNameLabelLength' }
        @{ Case = 'a name over 253 characters'; Params = @{ ServerName = ((1..9 | ForEach-Object { 'a' * 30 }) -join '.') + '.test' }; ErrorId = 'ServerNameTooLong' }
        @{ Case = 'a label with an underscore'; Params = @{ ServerName = 'my_site.test' }; ErrorId = 'ServerNameInvalid' }
        @{ Case = 'a label starting with a hyphen'; Params = @{ ServerName = '-a.test' }; ErrorId = 'ServerNameInvalid' }
        @{ Case = 'an empty label'; Params = @{ ServerName = 'a..test' }; ErrorId = 'ServerNameInvalid' }
        @{ Case = 'an empty server name'; Params = @{ ServerName = '' }; ErrorId = 'ServerNameEmpty' }
        @{ Case = 'an alias with a newline'; Params = @{ ServerAlias = "b.test`nInclude /etc/shadow" }; ErrorId = 'ServerAliasHasForbiddenCharacter' }
        @{ Case = 'a wildcard in the middle of an alias'; Params = @{ ServerAlias = 'a.*.test' }; ErrorId = 'ServerAliasWildcardMisplaced' }
        @{ Case = 'a path with a space'; Params = @{ Path = '/app x' }; ErrorId = 'PathHasForbiddenCharacter' }
        @{ Case = 'a path with a newline'; Params = @{ Path = "/app`nProxyRequests On" }; ErrorId = 'PathHasForbiddenCharacter' }
        @{ Case = 'a relative path'; Params = @{ Path = 'app/' }; ErrorId = 'PathNotAbsolute' }
        @{ Case = 'a path with ..'; Params = @{ Path = '/app/../admin/' }; ErrorId = 'PathHasDotSegment' }
        @{ Case = 'a path with //'; Params = @{ Path = '/app//x/' }; ErrorId = 'PathHasEmptySegment' }
        @{ Case = 'a backend with credentials'; Params = @{ Backend = 'http://user:pw@10.0.0.2:3000/' }; ErrorId = 'BackendHasCredentials' }
        @{ Case = 'a backend with a query'; Params = @{ Backend = 'http://10.0.0.2:3000/?a=b' }; ErrorId = 'BackendHasQuery' }
        @{ Case = 'an ftp backend'; Params = @{ Backend = 'ftp://10.0.0.2/' }; ErrorId = 'BackendSchemeNotSupported' }
        @{ Case = 'a backend that is not a URL'; Params = @{ Backend = '10.0.0.2:3000' }; ErrorId = 'BackendInvalid' }
        @{ Case = 'a backend with a newline'; Params = @{ Backend = "http://10.0.0.2:3000/`nProxyRequests On" }; ErrorId = 'BackendHasForbiddenCharacter' }
        @{ Case = 'a backend port of 0'; Params = @{ Backend = 'http://10.0.0.2:0/' }; ErrorId = 'BackendPortInvalid' }
        @{ Case = 'a backend port that is text'; Params = @{ Backend = 'http://10.0.0.2:web/' }; ErrorId = 'BackendPortInvalid' }
        @{ Case = 'a backend host with an underscore'; Params = @{ Backend = 'http://my_host:80/' }; ErrorId = 'BackendHostInvalid' }
        @{ Case = 'a port of 70000'; Params = @{ Backend = $null; Address = '10.0.0.2/32'; Port = 70000 }; ErrorId = 'PortOutOfRange' }
        @{ Case = 'an address without a port'; Params = @{ Backend = $null; Address = '10.0.0.2/32' }; ErrorId = 'PortMissing' }
        @{ Case = 'no backend at all'; Params = @{ Backend = $null }; ErrorId = 'BackendMissing' }
        @{ Case = 'a certificate path with a space'; Params = @{ CertificateFile = '/etc/ssl/my cert.pem'; CertificateKeyFile = '/etc/ssl/k.key' }; ErrorId = 'CertificateFileInvalid' }
        @{ Case = 'a relative key path'; Params = @{ CertificateFile = '/etc/ssl/c.pem'; CertificateKeyFile = 'k.key' }; ErrorId = 'CertificateKeyFileInvalid' }
        @{ Case = 'a certificate without its key'; Params = @{ CertificateFile = '/etc/ssl/c.pem' }; ErrorId = 'TlsFilesIncomplete' }
        @{ Case = 'a wildcard alias with ACME'; Params = @{ Https = $true; ServerAlias = '*.a.test' }; ErrorId = 'WildcardNeedsDnsChallenge' }
        @{ Case = 'a proxy timeout of 0'; Params = @{ ProxyTimeout = 0 }; ErrorId = 'ProxyTimeoutOutOfRange' }
        @{ Case = 'a connect timeout of 0'; Params = @{ ConnectTimeout = 0 }; ErrorId = 'ConnectTimeoutOutOfRange' }
        @{ Case = 'a negative retry'; Params = @{ Retry = -1 }; ErrorId = 'RetryOutOfRange' }
    ) {
        $splat = @{ ServerName = 'a.test'; Backend = 'http://10.0.0.2:3000/' }
        foreach ($k in $Params.Keys) { if ($null -eq $Params[$k]) { $splat.Remove($k) } else { $splat[$k] = $Params[$k] } }
        $record = Get-ErrorRecord { New-ApacheProxySite @splat }
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $null -ne $record.TargetObject | Should -BeTrue -Because 'the offending value is the target'
        $record.Exception.Message | Should -Not -BeNullOrEmpty
    }

    It 'rejects a hashtable key that is not a site property' {
        $record = Get-ErrorRecord { @{ ServerName = 'a.test'; Backend = 'http://10.0.0.2/'; ProxyRequests = 'On' } | New-ApacheProxySite }
        Assert-HomeTunnelError $record 'SitePropertyUnknown' 'InvalidArgument' 'ProxyRequests'
    }
}
