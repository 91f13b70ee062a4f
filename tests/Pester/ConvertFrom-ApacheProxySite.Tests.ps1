BeforeAll {
    . $PSScriptRoot/Common.ps1
    $seedPath = "$PSScriptRoot/fixtures/seed-sites.conf"
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
}

Describe 'Import-ApacheProxySite and ConvertFrom-ApacheProxySite' {
    It 'parses the seed''s two vhosts exactly' {
        $site, $cloud = Import-ApacheProxySite $seedPath
        $site.ServerName | Should -Be 'site.example.com'
        "$($site.Backend)" | Should -Be 'http://192.168.4.2:3000/'
        $site.Path | Should -Be '/'
        $site.Http | Should -BeTrue
        $site.Https | Should -BeFalse
        $site.PreserveHost | Should -BeNullOrEmpty
        $site.ProxyRequestsOff | Should -BeFalse
        $site.ForwardedHeaders | Should -BeFalse
        $site.WebSocket | Should -BeFalse
        $site.AcmeChallengeException | Should -BeFalse
        $site.ExtraDirectives | Should -HaveCount 0
        $site.Source | Should -Be (Resolve-Path $seedPath).Path

        $cloud.ServerName | Should -Be 'cloud.example.com'
        $cloud.ServerAliases | Should -Be @('www.cloud.example.com')
        "$($cloud.Backend)" | Should -Be 'http://192.168.4.2:8080/'
        $cloud.PreserveHost | Should -BeTrue
        $cloud.ExtraDirectives | Should -Be @('ErrorLog ${APACHE_LOG_DIR}/cloud-error.log', 'CustomLog ${APACHE_LOG_DIR}/cloud-access.log combined')
    }

    It 'renders a parsed seed vhost back to an equivalent file' {
        $site = (Import-ApacheProxySite $seedPath)[1]
        $reparsed = ConvertFrom-ApacheProxySite $site.Text
        $reparsed.Text | Should -BeExactly $site.Text
        $site.Text | Should -Match '(?m)^    ProxyPass / http://192.168.4.2:8080/$'
        $site.Text | Should -Match '(?m)^    ProxyPassReverse / http://192.168.4.2:8080/$'
        $site.Text | Should -Match '(?m)^    CustomLog \$\{APACHE_LOG_DIR\}/cloud-access.log combined$'
    }

    It 'is stable from render to parse to render for <Name>' -ForEach @(
        @{ Name = 'HTTP'; Make = { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 } }
        @{ Name = 'HTTPS with mod_md'; Make = { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -Https -ServerAlias www.a.example.test } }
        @{ Name = 'HTTPS with files, both ports'; Make = { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -Http -Https -CertificateFile /etc/ssl/a.pem -CertificateKeyFile /etc/ssl/a.key } }
        @{ Name = 'HTTPS only, no :80'; Make = { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -Https -NoHttpRedirect } }
        @{ Name = 'every default off'; Make = { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -WebSocket:$false -PreserveHost:$false -ForwardedHeaders:$false -AcmeChallengeException:$false } }
        @{ Name = 'a path prefix and IPv6'; Make = { New-ApacheProxySite -ServerName a.example.test -Backend 'http://[fd00::2]:3000/base/' -Path /app } }
    ) {
        $site = & $Make
        $once = ConvertFrom-ApacheProxySite $site.Text
        $once.Text | Should -BeExactly $site.Text
        (ConvertFrom-ApacheProxySite $once.Text).Text | Should -BeExactly $site.Text
        foreach ($p in 'ServerName', 'Http', 'Https', 'HttpRedirect', 'Tls', 'WebSocket', 'PreserveHost', 'ForwardedHeaders', 'ConnectTimeout', 'Retry', 'ProxyTimeout', 'AcmeChallengeException', 'Path') {
            $once.$p | Should -Be $site.$p -Because $p
        }
        "$($once.Backend)" | Should -Be "$($site.Backend)"
    }

    It 'keeps unknown directives, nested sections and ProxyPass parameters' {
        $text = @'
<VirtualHost *:80>
    ServerName keep.example.test
    Header always set X-Frame-Options DENY
    <Location /admin>
        Require ip 10.0.0.0/8
    </Location>
    ProxyPass /api/ http://10.0.0.2:4000/
    ProxyPass / http://10.0.0.2:3000/ keepalive=On timeout=30
    ProxyPassReverse / http://10.0.0.2:3000/
</VirtualHost>
'@
        $site = ConvertFrom-ApacheProxySite $text
        "$($site.Backend)" | Should -Be 'http://10.0.0.2:3000/'
        $site.ExtraProxyParameters | Should -Be @('keepalive=On', 'timeout=30')
        $site.ExtraDirectives | Should -Contain 'Header always set X-Frame-Options DENY'
        $site.ExtraDirectives | Should -Contain "<Location /admin>`n    Require ip 10.0.0.0/8`n</Location>"
        $site.ExtraDirectives | Should -Contain 'ProxyPass /api/ http://10.0.0.2:4000/'
        # The more specific ProxyPass stays in front of the catch-all, where Apache must see it first.
        $site.Text.IndexOf('ProxyPass /api/') | Should -BeLessThan $site.Text.IndexOf('ProxyPass / ')
        $site.Text | Should -Match 'ProxyPass / http://10.0.0.2:3000/ keepalive=On timeout=30'
        (ConvertFrom-ApacheProxySite $site.Text).Text | Should -BeExactly $site.Text
    }

    It 'reads a directive hidden by a continuation the way Apache does' {
        # Apache joins '\'-continued lines before it looks for comments, so this ProxyRequests is inside a comment.
        $text = "<VirtualHost *:80>`n    ServerName c.example.test`n    # note \`n    ProxyRequests On`n    ProxyPass / http://10.0.0.2:3000/`n</VirtualHost>`n"
        $site = ConvertFrom-ApacheProxySite $text
        $site.ProxyRequestsOff | Should -BeFalse
        $site.Text | Should -Not -Match 'ProxyRequests On'
    }

    It 'joins lines piped one by one' {
        (Get-Content $seedPath | ConvertFrom-ApacheProxySite).ServerName | Should -Be @('site.example.com', 'cloud.example.com')
    }

    It 'rejects <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'an open proxy'; Text = "<VirtualHost *:80>`nServerName a.test`nProxyRequests On`nProxyPass / http://10.0.0.2/`n</VirtualHost>"; ErrorId = 'ApacheOpenProxy'; Category = 'SecurityError' }
        @{ Case = 'an open proxy behind a continuation'; Text = "<VirtualHost *:80>`nServerName a.test`nProxyRequests \`n  On`nProxyPass / http://10.0.0.2/`n</VirtualHost>"; ErrorId = 'ApacheOpenProxy'; Category = 'SecurityError' }
        @{ Case = 'an unclosed section'; Text = "<VirtualHost *:80>`nServerName a.test`n"; ErrorId = 'ApacheSectionMismatch'; Category = 'ParserError' }
        @{ Case = 'a stray closing tag'; Text = "</VirtualHost>`n"; ErrorId = 'ApacheSectionMismatch'; Category = 'ParserError' }
        @{ Case = 'an unclosed quote'; Text = "<VirtualHost *:80>`nServerName ""a.test`n</VirtualHost>"; ErrorId = 'ApacheQuoteUnclosed'; Category = 'ParserError' }
        @{ Case = 'a control character'; Text = "<VirtualHost *:80>`nServerName a.test`u{7}`n</VirtualHost>"; ErrorId = 'ApacheControlCharacter'; Category = 'ParserError' }
        @{ Case = 'a vhost without a name'; Text = "<VirtualHost *:80>`nProxyPass / http://10.0.0.2/`n</VirtualHost>"; ErrorId = 'VirtualHostWithoutServerName'; Category = 'ParserError' }
        @{ Case = 'a vhost that proxies nothing'; Text = "<VirtualHost *:80>`nServerName a.test`nDocumentRoot /var/www`n</VirtualHost>"; ErrorId = 'NotAProxySite'; Category = 'ParserError' }
        @{ Case = 'an IP-based vhost'; Text = "<VirtualHost 192.0.2.1:80>`nServerName a.test`n</VirtualHost>"; ErrorId = 'VirtualHostAddressNotSupported'; Category = 'ParserError' }
        @{ Case = 'two :80 vhosts for one name'; Text = "<VirtualHost *:80>`nServerName a.test`nProxyPass / http://10.0.0.2/`n</VirtualHost>`n<VirtualHost *:80>`nServerName a.test`nProxyPass / http://10.0.0.3/`n</VirtualHost>"; ErrorId = 'DuplicateVirtualHost'; Category = 'ParserError' }
        @{ Case = 'HTTPS without a certificate'; Text = "<VirtualHost *:443>`nServerName a.test`nSSLEngine on`nProxyPass / http://10.0.0.2/`n</VirtualHost>"; ErrorId = 'HttpsWithoutCertificate'; Category = 'ParserError' }
        @{ Case = 'a hostile server name'; Text = "<VirtualHost *:80>`nServerName a.test""`nProxyPass / http://10.0.0.2/`n</VirtualHost>"; ErrorId = 'ServerNameHasForbiddenCharacter'; Category = 'InvalidArgument' }
        @{ Case = 'a backend with credentials'; Text = "<VirtualHost *:80>`nServerName a.test`nProxyPass / http://u:p@10.0.0.2/`n</VirtualHost>"; ErrorId = 'BackendHasCredentials'; Category = 'InvalidArgument' }
    ) {
        $record = Get-ErrorRecord { ConvertFrom-ApacheProxySite $Text }
        Assert-HomeTunnelError $record $ErrorId $Category
        $null -ne $record.TargetObject | Should -BeTrue
    }

    It 'says which file and line is wrong' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N')).conf"
        Set-Content $file "<VirtualHost *:80>`nServerName a.test`nProxyRequests On`n</VirtualHost>"
        try {
            (Get-ErrorRecord { Import-ApacheProxySite $file }).Exception.Message | Should -BeLike "$file, line 3:*"
        }
        finally { Remove-Item $file }
    }
}
