# Doors on sites: -AllowFrom (mod_authz_host) and basic auth (-Credential, an htpasswd file of bcrypt
# hashes); what is written, what reads back as the model's, and that the password is in no output.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
    $secret = 'Door-Pass-7f3a91'
    $cred = [pscredential]::new('alice', (ConvertTo-SecureString $secret -AsPlainText -Force))
}

Describe 'New-ApacheProxySite -AllowFrom / -Credential' {
    It 'writes the door inside the proxying VirtualHost and keeps the ACME path open' {
        $site = $homePeer | New-ApacheProxySite -ServerName door.example.com -Port 3000 -AllowFrom 203.0.113.0/24, 2001:db8::/32 -Credential $cred
        $site.AllowFrom | Should -Be @('203.0.113.0/24', '2001:db8::/32')
        $site.BasicAuthUser | Should -Be 'alice'
        $site.PasswordFile | Should -Be '/etc/apache2/hometunnel/door.example.com.htpasswd'
        $site.RequiredModules | Should -Be @('proxy', 'proxy_http', 'headers', 'authz_host', 'authn_core', 'authn_file', 'auth_basic', 'authz_user')
        $site.Text | Should -BeLikeExactly (@(
                '*    ProxyPassReverse / http://192.168.4.2:3000/'
                '    <Location "/">'
                '        AuthType Basic'
                '        AuthName "door.example.com"'
                '        AuthBasicProvider file'
                '        AuthUserFile /etc/apache2/hometunnel/door.example.com.htpasswd'
                '        <RequireAll>'
                '            Require ip 203.0.113.0/24 2001:db8::/32'
                '            Require user alice'
                '        </RequireAll>'
                '    </Location>'
                '    <Location "/.well-known/acme-challenge/">'
                '        Require all granted'
                '    </Location>'
                '</VirtualHost>'
                ''
            ) -join "`n")
    }

    It 'writes only what is asked: an address list alone, a user alone, no ACME opening without the exception' {
        $ips = New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -AllowFrom 198.51.100.7
        $ips.AllowFrom | Should -Be @('198.51.100.7/32')
        $ips.Text | Should -Match '(?m)^    <Location "/">\n        Require ip 198\.51\.100\.7/32\n    </Location>$'
        $ips.Text | Should -Not -Match 'Auth'
        $ips.RequiredModules | Should -Not -Contain 'auth_basic'
        $user = New-ApacheProxySite -ServerName b.test -Backend http://192.168.4.2:3000/ -Credential $cred -AcmeChallengeException:$false
        $user.Text | Should -Match '(?m)^        Require user alice$'
        $user.Text | Should -Not -Match 'Require ip|acme-challenge'
    }

    It 'puts the door on the HTTPS VirtualHost, not on the redirect' {
        $site = New-ApacheProxySite -ServerName s.test -Backend http://192.168.4.2:3000/ -Https -AllowFrom 10.0.0.0/8
        $vhosts = $site.Text -split '</VirtualHost>'
        $vhosts[0] | Should -Match 'Redirect permanent'
        $vhosts[0] | Should -Not -Match 'Location'
        $vhosts[1] | Should -Match 'Require ip 10\.0\.0\.0/8'
    }

    It 'reads its own door back as the same site, and an imported door as the model''s' {
        $site = $homePeer | New-ApacheProxySite -ServerName door.example.com -Port 3000 -AllowFrom 203.0.113.0/24 -Credential $cred -Https
        $again = $site.Text | ConvertFrom-ApacheProxySite
        $again.Text | Should -BeExactly $site.Text
        $again.AllowFrom | Should -Be @('203.0.113.0/24')
        $again.BasicAuthUser | Should -Be 'alice'
    }

    It 'keeps a hand-written Location as it was, and still refuses a grant it did not write' {
        $text = @(
            '<VirtualHost *:80>'
            '    ServerName h.test'
            '    ProxyPass / http://192.168.4.2:3000/'
            '    <Location />'
            '        Require ip 10.1.0.0/16'
            '    </Location>'
            '</VirtualHost>'
        ) -join "`n"
        $site = $text | ConvertFrom-ApacheProxySite
        $site.AllowFrom | Should -BeNullOrEmpty
        $site.ExtraDirectives | Should -Contain "<Location />`n    Require ip 10.1.0.0/16`n</Location>"
        $grant = $text -replace 'Require ip 10.1.0.0/16', 'Require all granted' -replace '<Location />', '<Location "/.well-known/acme-challenge/">'
        (Get-ErrorRecord { $grant | ConvertFrom-ApacheProxySite }).FullyQualifiedErrorId | Should -BeLike 'ApacheExposesFiles:Require:*'
    }

    It 'refuses <Case> with <Id>, naming the value' -TestCases @(
        @{ Case = 'host bits set'; Id = 'AllowFromHostBits'; Make = { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -AllowFrom 10.1.2.3/8 }; Value = '10.1.2.3/8' }
        @{ Case = 'a name for an address'; Id = 'AddressInvalid'; Make = { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -AllowFrom example.com }; Value = 'example.com' }
        @{ Case = 'a directive in an address'; Id = 'AddressInvalid'; Make = { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -AllowFrom "10.0.0.0/8`nRequire all granted" }; Value = "10.0.0.0/8`nRequire all granted" }
        @{ Case = 'a user with a space'; Id = 'BasicAuthUserInvalid'; Make = { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -BasicAuthUser 'a b' }; Value = 'a b' }
        @{ Case = 'a user with a colon'; Id = 'BasicAuthUserInvalid'; Make = { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -Credential ([pscredential]::new('a:b', (ConvertTo-SecureString 'x' -AsPlainText -Force))) }; Value = 'a:b' }
        @{ Case = 'two different users'; Id = 'BasicAuthUserConflict'; Make = { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -Credential $cred -BasicAuthUser bob }; Value = 'bob' }
    ) {
        $e = Get-ErrorRecord $Make
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.TargetObject | Should -Be $Value
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'refuses a password bcrypt cannot keep, without showing it' -TestCases @(
        @{ Password = ''; Id = 'BasicAuthPasswordEmpty' }
        @{ Password = 'x' * 73; Id = 'BasicAuthPasswordInvalid' }
        @{ Password = "line`nbreak-secret"; Id = 'BasicAuthPasswordInvalid' }
        @{ Password = 'abc'; Id = 'BasicAuthPasswordTooShort' }
        @{ Password = 'seven77'; Id = 'BasicAuthPasswordTooShort' }
        @{ Password = 'eleven-1111'; Id = 'BasicAuthPasswordTooShort' }
    ) {
        $c = [pscredential]::new('alice', $(if ($Password) { ConvertTo-SecureString $Password -AsPlainText -Force } else { [securestring]::new() }))
        $e = Get-ErrorRecord { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -Credential $c }
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        if ($Password) { "$e $($e.TargetObject)" | Should -Not -Match ([regex]::Escape($Password)) }
        # Twelve characters are the floor, and enough.
        $twelve = [pscredential]::new('alice', (ConvertTo-SecureString 'twelve-12-12' -AsPlainText -Force))
        (New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -Credential $twelve).BasicAuthUser | Should -Be 'alice'
    }

    It 'takes a short password only with -AllowWeakPassword on the command line, and says so' {
        $short = [pscredential]::new('alice', (ConvertTo-SecureString 'abc' -AsPlainText -Force))
        $site = New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -Credential $short -AllowWeakPassword -WarningVariable warned -WarningAction SilentlyContinue
        $site.BasicAuthUser | Should -Be 'alice'
        "$warned" | Should -Match '3 character\(s\), under 12'
        # From data the switch is never read: a table that says so is refused as an unknown property.
        $e = Get-ErrorRecord { @{ ServerName = 'a.test'; Backend = 'http://192.168.4.2:3000/'; Credential = $short; AllowWeakPassword = $true } | New-ApacheProxySite }
        $e.FullyQualifiedErrorId | Should -BeLike 'SitePropertyUnknown,*'
        # The switch on the command line lets a table's short password through, as it would a parameter's.
        (@{ ServerName = 'a.test'; Backend = 'http://192.168.4.2:3000/'; Credential = $short } | New-ApacheProxySite -AllowWeakPassword -WarningAction SilentlyContinue).BasicAuthUser | Should -Be 'alice'
        # Empty stays refused.
        $empty = [pscredential]::new('alice', [securestring]::new())
        (Get-ErrorRecord { New-ApacheProxySite -ServerName a.test -Backend http://192.168.4.2:3000/ -Credential $empty -AllowWeakPassword }).FullyQualifiedErrorId | Should -BeLike 'BasicAuthPasswordEmpty,*'
    }

    It 'takes a password from a hashtable only as a credential or SecureString, and never echoes text' {
        $e = Get-ErrorRecord { @{ ServerName = 'a.test'; Backend = 'http://192.168.4.2:3000/'; BasicAuthUser = 'alice'; BasicAuthPassword = $secret } | New-ApacheProxySite }
        $e.FullyQualifiedErrorId | Should -BeLike 'SitePropertyWrongType,*'
        "$e $($e.TargetObject)" | Should -Not -Match $secret
        $site = @{ ServerName = 'a.test'; Backend = 'http://192.168.4.2:3000/'; Credential = $cred } | New-ApacheProxySite
        $site.BasicAuthUser | Should -Be 'alice'
    }

    It 'shows the password in no output, JSON or CLIXML' {
        $site = $homePeer | New-ApacheProxySite -ServerName door.example.com -Port 3000 -Credential $cred
        $xml = Join-Path $TestDrive 'site.xml'
        $site | Export-Clixml $xml
        $all = @(
            $site | Out-String
            $site | Format-List * | Out-String
            $site | ConvertTo-Json -Depth 5
            Get-Content -Raw $xml
            $site.Text
        ) -join "`n"
        $all | Should -Not -Match $secret
        $all | Should -Not -Match 'BasicAuthPassword'
    }
}
