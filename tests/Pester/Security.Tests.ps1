# Hostile inputs that never reach a host: each is refused with its id, a category, the offending value,
# and no key in any stream. The host-side classes (ownership, filtered errors, a stopped Apache) are in
# Security.Lab.Tests.ps1. docs/security.md maps each class to these cases.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Site = {
        param([string] $Inside, [string] $Outside = '')
        "$Outside`n<VirtualHost *:80>`n    ServerName hostile.example.test`n$Inside`n    ProxyPass / http://192.168.4.2:3000/`n    ProxyPassReverse / http://192.168.4.2:3000/`n</VirtualHost>`n"
    }
    $script:Relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test
    $script:HomePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
    $script:Private = $script:HomePeer.PrivateKey.RevealBase64()
}

Describe 'Imported Apache text is held to an allow-list' {
    It 'refuses <Case> with <Id>' -ForEach @(
        # runs a program
        @{ Case = 'a piped CustomLog'; Id = 'ApacheRunsProgram:CustomLog'; Inside = '    CustomLog "|/bin/sh -c id" combined' }
        @{ Case = 'a piped ErrorLog'; Id = 'ApacheRunsProgram:ErrorLog'; Inside = '    ErrorLog |/usr/bin/logger' }
        @{ Case = 'a piped TransferLog'; Id = 'ApacheRunsProgram:TransferLog'; Inside = '    TransferLog "|/bin/true"' }
        @{ Case = 'a double-piped log'; Id = 'ApacheRunsProgram:CustomLog'; Inside = '    CustomLog "||/bin/sh" common' }
        @{ Case = 'a piped GlobalLog'; Id = 'ApacheRunsProgram:GlobalLog'; Inside = '    GlobalLog "|/bin/x" common' }
        @{ Case = 'a piped ForensicLog'; Id = 'ApacheRunsProgram:ForensicLog'; Inside = '    ForensicLog |/bin/x' }
        @{ Case = 'a lower-case piped log'; Id = 'ApacheRunsProgram:customlog'; Inside = '    customlog "|/bin/sh" combined' }
        @{ Case = 'a piped log in IfModule'; Id = 'ApacheRunsProgram:CustomLog'; Inside = "    <IfModule mod_log_config.c>`n        CustomLog `"|/bin/sh`" combined`n    </IfModule>" }
        @{ Case = 'a piped log in If'; Id = 'ApacheRunsProgram:ErrorLog'; Inside = "    <If `"true`">`n        ErrorLog `"|/bin/sh`"`n    </If>" }
        @{ Case = 'a piped log in Location'; Id = 'ApacheRunsProgram:CustomLog'; Inside = "    <Location /x>`n        CustomLog `"|/bin/sh`" combined`n    </Location>" }
        @{ Case = 'a prg: rewrite map'; Id = 'ApacheRunsProgram:RewriteMap'; Inside = '    RewriteMap m prg:/bin/sh' }
        @{ Case = 'a txt: rewrite map'; Id = 'ApacheRunsProgram:RewriteMap'; Inside = '    RewriteMap m txt:/etc/shadow' }
        @{ Case = 'an external filter'; Id = 'ApacheRunsProgram:ExtFilterDefine'; Inside = '    ExtFilterDefine f mode=output cmd=/bin/sh' }
        @{ Case = 'a ScriptAlias'; Id = 'ApacheRunsProgram:ScriptAlias'; Inside = '    ScriptAlias /x /usr/lib/cgi-bin/' }
        @{ Case = 'a CGI handler'; Id = 'ApacheRunsProgram:SetHandler'; Inside = '    SetHandler cgi-script' }
        @{ Case = 'an Action'; Id = 'ApacheRunsProgram:Action'; Inside = '    Action x /cgi-bin/x' }
        @{ Case = 'an AddHandler'; Id = 'ApacheRunsProgram:AddHandler'; Inside = '    AddHandler cgi-script .sh' }
        @{ Case = 'a pass phrase program outside'; Id = 'ApacheRunsProgram:SSLPassPhraseDialog'; Outside = 'SSLPassPhraseDialog exec:/bin/sh' }
        # loads code
        @{ Case = 'a LoadModule'; Id = 'ApacheLoadsCode:LoadModule'; Outside = 'LoadModule evil_module /tmp/evil.so' }
        @{ Case = 'a LoadModule inside the vhost'; Id = 'ApacheLoadsCode:LoadModule'; Inside = '    LoadModule evil_module /tmp/evil.so' }
        @{ Case = 'a LoadFile'; Id = 'ApacheLoadsCode:LoadFile'; Outside = 'LoadFile /tmp/x.so' }
        @{ Case = 'a lower-case loadfile in IfModule'; Id = 'ApacheLoadsCode:loadfile'; Inside = "    <IfModule !mod_x.c>`n        loadfile /tmp/x.so`n    </IfModule>" }
        @{ Case = 'a Lua hook'; Id = 'ApacheLoadsCode:LuaHookFixups'; Inside = '    LuaHookFixups /tmp/x.lua f' }
        @{ Case = 'a Lua handler'; Id = 'ApacheLoadsCode:LuaMapHandler'; Inside = '    LuaMapHandler /x /tmp/h.lua' }
        @{ Case = 'a Perl module'; Id = 'ApacheLoadsCode:PerlModule'; Inside = '    PerlModule Evil' }
        @{ Case = 'a WSGI script'; Id = 'ApacheLoadsCode:WSGIScriptAlias'; Inside = '    WSGIScriptAlias / /tmp/x.wsgi' }
        # reads other files
        @{ Case = 'an Include'; Id = 'ApacheReadsFile:Include'; Inside = '    Include /etc/shadow' }
        @{ Case = 'an Include outside'; Id = 'ApacheReadsFile:Include'; Outside = 'Include /etc/shadow' }
        @{ Case = 'an IncludeOptional'; Id = 'ApacheReadsFile:IncludeOptional'; Inside = '    IncludeOptional /etc/*' }
        @{ Case = 'an include in lower case in If'; Id = 'ApacheReadsFile:include'; Inside = "    <If `"true`">`n        include /etc/shadow`n    </If>" }
        @{ Case = 'file() in a Header'; Id = 'ApacheReadsFile:Header'; Inside = "    Header set X-Leak `"expr=%{file:/etc/shadow}`"" }
        @{ Case = 'file() as an expression'; Id = 'ApacheReadsFile:Header'; Inside = "    Header set X-Leak expr=file('/etc/shadow')" }
        @{ Case = 'file() in a RequestHeader'; Id = 'ApacheReadsFile:RequestHeader'; Inside = "    RequestHeader set X `"expr=file('/etc/shadow')`"" }
        @{ Case = 'file() in an If'; Id = 'ApacheReadsFile:If'; Inside = "    <If `"file('/etc/shadow') =~ /root/`">`n        Header set X y`n    </If>" }
        @{ Case = 'filesize() in an ElseIf'; Id = 'ApacheReadsFile:ElseIf'; Inside = "    <If `"true`">`n    </If>`n    <ElseIf `"filesize('/etc/shadow') -gt 0`">`n    </ElseIf>" }
        @{ Case = 'osenv() in a Header'; Id = 'ApacheReadsFile:Header'; Inside = "    Header set X `"expr=osenv('PATH')`"" }
        @{ Case = 'a Define'; Id = 'ApacheReadsFile:Define'; Inside = '    Define X' }
        @{ Case = 'a password file outside /etc/apache2'; Id = 'ApacheReadsFile:AuthUserFile'; Inside = '    AuthUserFile /etc/shadow' }
        @{ Case = 'a password file climbing out'; Id = 'ApacheReadsFile:AuthUserFile'; Inside = '    AuthUserFile /etc/apache2/../shadow' }
        @{ Case = 'a group file'; Id = 'ApacheReadsFile:AuthGroupFile'; Inside = '    AuthGroupFile /etc/group' }
        @{ Case = 'a CA path'; Id = 'ApacheReadsFile:SSLCACertificatePath'; Inside = '    SSLCACertificatePath /etc' }
        @{ Case = 'a macro use'; Id = 'ApacheReadsFile:Use'; Inside = '    Use Evil' }
        # a forward proxy
        @{ Case = 'ProxyRequests On'; Id = 'ApacheOpenProxy:ProxyRequests'; Inside = '    ProxyRequests On' }
        @{ Case = 'proxyrequests on in lower case'; Id = 'ApacheOpenProxy:proxyrequests'; Inside = '    proxyrequests on' }
        @{ Case = 'ProxyRequests On in IfModule'; Id = 'ApacheOpenProxy:ProxyRequests'; Inside = "    <IfModule mod_proxy.c>`n        ProxyRequests On`n    </IfModule>" }
        @{ Case = 'ProxyRequests On outside'; Id = 'ApacheOpenProxy:ProxyRequests'; Outside = 'ProxyRequests On' }
        @{ Case = 'ProxyRequests On deep inside'; Id = 'ApacheOpenProxy:ProxyRequests'; Inside = "    <IfModule mod_proxy.c>`n        <If `"true`">`n            <Location />`n                ProxyRequests On`n            </Location>`n        </If>`n    </IfModule>" }
        @{ Case = 'a rewrite-proxy to the metadata service'; Id = 'ApacheOpenProxy:RewriteRule'; Inside = '    RewriteEngine On' + "`n" + '    RewriteRule ^/(.*) http://169.254.169.254/$1 [P]' }
        @{ Case = 'a rewrite-proxy to the relay itself'; Id = 'ApacheOpenProxy:RewriteRule'; Inside = '    RewriteRule ^(.*)$ http://127.0.0.1:22$1 [P,L]' }
        @{ Case = 'a rewrite-proxy to a captured host'; Id = 'ApacheOpenProxy:RewriteRule'; Inside = '    RewriteRule ^/([^/]+)/(.*) http://$1/$2 [proxy]' }
        @{ Case = 'a rewrite-proxy with credentials'; Id = 'ApacheOpenProxy:RewriteRule'; Inside = '    RewriteRule ^/(.*) http://u:p@192.168.4.2:3000/$1 [P]' }
        @{ Case = 'a second ProxyPass to the relay'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = '    ProxyPass /admin http://127.0.0.1:8080/' }
        @{ Case = 'a ProxyPassMatch elsewhere'; Id = 'ApacheOpenProxy:ProxyPassMatch'; Inside = '    ProxyPassMatch ^/(.*) http://10.0.0.9/$1' }
        @{ Case = 'a ProxyPass to a websocket elsewhere'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = '    ProxyPass /ws ws://metadata.internal/' }
        @{ Case = 'a ProxyRemote'; Id = 'ApacheOpenProxy:ProxyRemote'; Inside = '    ProxyRemote * http://evil.example:8080' }
        @{ Case = 'a backend on the relay itself'; Id = 'ApacheOpenProxy:ProxyPass'; Backend = 'http://127.0.0.1:2019/' }
        @{ Case = 'a backend named localhost'; Id = 'ApacheOpenProxy:ProxyPass'; Backend = 'http://localhost:8080/' }
        @{ Case = 'a backend on the metadata service'; Id = 'ApacheOpenProxy:ProxyPass'; Backend = 'http://169.254.169.254/latest/meta-data/' }
        @{ Case = 'a backend on the IPv6 loopback'; Id = 'ApacheOpenProxy:ProxyPass'; Backend = 'http://[::1]:9000/' }
        @{ Case = 'a Proxy section'; Id = 'ApacheOpenProxy:Proxy'; Inside = "    <Proxy *>`n        Require all granted`n    </Proxy>" }
        @{ Case = 'AllowCONNECT'; Id = 'ApacheOpenProxy:AllowCONNECT'; Inside = '    AllowCONNECT 22' }
        @{ Case = 'a balancer member'; Id = 'ApacheOpenProxy:BalancerMember'; Inside = '    BalancerMember http://10.0.0.9/' }
        # exposes the relay's file system
        @{ Case = 'an Alias'; Id = 'ApacheExposesFiles:Alias'; Inside = '    Alias /x /etc' }
        @{ Case = 'an AliasMatch'; Id = 'ApacheExposesFiles:AliasMatch'; Inside = '    AliasMatch ^/x(.*) /etc$1' }
        @{ Case = 'a DocumentRoot'; Id = 'ApacheExposesFiles:DocumentRoot'; Inside = '    DocumentRoot /' }
        @{ Case = 'a Directory grant'; Id = 'ApacheExposesFiles:Directory'; Inside = "    <Directory />`n        Require all granted`n    </Directory>" }
        @{ Case = 'a DirectoryMatch'; Id = 'ApacheExposesFiles:DirectoryMatch'; Inside = "    <DirectoryMatch .*>`n    </DirectoryMatch>" }
        @{ Case = 'a Files section'; Id = 'ApacheExposesFiles:Files'; Inside = "    <Files shadow>`n    </Files>" }
        @{ Case = 'a Location grant'; Id = 'ApacheExposesFiles:Require'; Inside = "    <Location />`n        Require all granted`n    </Location>" }
        @{ Case = 'a grant by environment'; Id = 'ApacheExposesFiles:Require'; Inside = "    <Location /x>`n        Require env X`n    </Location>" }
        @{ Case = 'an old-style Allow'; Id = 'ApacheExposesFiles:Allow'; Inside = "    <Location />`n        Allow from all`n    </Location>" }
        @{ Case = 'a rewrite to a file'; Id = 'ApacheExposesFiles:RewriteRule'; Inside = '    RewriteRule ^/x /etc/shadow' }
        @{ Case = 'a rewrite to a shared folder'; Id = 'ApacheExposesFiles:RewriteRule'; Inside = '    RewriteRule ^/doc/(.*) /usr/share/doc/$1 [L]' }
        @{ Case = 'Options Indexes'; Id = 'ApacheExposesFiles:Options'; Inside = '    Options +Indexes' }
        @{ Case = 'a UserDir'; Id = 'ApacheExposesFiles:UserDir'; Inside = '    UserDir public_html' }
        @{ Case = 'WebDAV'; Id = 'ApacheExposesFiles:Dav'; Inside = '    Dav On' }
        # writes files
        @{ Case = 'an ErrorLog into cron'; Id = 'ApacheWritesFile:ErrorLog'; Inside = '    ErrorLog /etc/cron.d/evil' }
        @{ Case = 'a CustomLog into authorized_keys'; Id = 'ApacheWritesFile:CustomLog'; Inside = '    CustomLog /root/.ssh/authorized_keys combined' }
        @{ Case = 'a log climbing out of the log folder'; Id = 'ApacheWritesFile:CustomLog'; Inside = '    CustomLog ${APACHE_LOG_DIR}/../../../etc/cron.d/x combined' }
        @{ Case = 'a TransferLog in /tmp'; Id = 'ApacheWritesFile:TransferLog'; Inside = '    TransferLog /tmp/x' }
        @{ Case = 'a log path through another variable'; Id = 'ApacheWritesFile:ErrorLog'; Inside = '    ErrorLog ${APACHE_LOG_DIR}/${EVIL}' }
        # outside the VirtualHost
        @{ Case = 'a Listen'; Id = 'ApacheOutsideVirtualHost:Listen'; Outside = 'Listen 8080' }
        @{ Case = 'a User'; Id = 'ApacheOutsideVirtualHost:User'; Outside = 'User root' }
        @{ Case = 'a ServerRoot'; Id = 'ApacheOutsideVirtualHost:ServerRoot'; Outside = 'ServerRoot /tmp' }
        @{ Case = 'a global Header'; Id = 'ApacheOutsideVirtualHost:Header'; Outside = 'Header set X y' }
        @{ Case = 'a global Timeout'; Id = 'ApacheOutsideVirtualHost:Timeout'; Outside = 'Timeout 1' }
        @{ Case = 'a global Directory'; Id = 'ApacheExposesFiles:Directory'; Outside = "<Directory />`n    Require all granted`n</Directory>" }
        @{ Case = 'a global IfModule'; Id = 'ApacheOutsideVirtualHost:IfModule'; Outside = "<IfModule mod_x.c>`n</IfModule>" }
        # not on the list
        @{ Case = 'an INCLUDES filter'; Id = 'ApacheDirectiveNotAllowed:SetOutputFilter'; Inside = '    SetOutputFilter INCLUDES' }
        @{ Case = 'an output filter by type'; Id = 'ApacheDirectiveNotAllowed:AddOutputFilter'; Inside = '    AddOutputFilter INCLUDES .html' }
        @{ Case = 'a Substitute'; Id = 'ApacheDirectiveNotAllowed:Substitute'; Inside = '    Substitute s/a/b/' }
        @{ Case = 'a macro'; Id = 'ApacheDirectiveNotAllowed:Macro'; Inside = "    <Macro X>`n    </Macro>" }
        @{ Case = 'a nested VirtualHost'; Id = 'ApacheDirectiveNotAllowed:VirtualHost'; Inside = "    <VirtualHost *:8080>`n    </VirtualHost>" }
        @{ Case = 'an unknown directive'; Id = 'ApacheDirectiveNotAllowed:MadeUpDirective'; Inside = '    MadeUpDirective on' }
    ) {
        $text = & $Site ([string] $_['Inside']) ([string] $_['Outside'])
        if ($_['Backend']) { $text = $text.Replace('http://192.168.4.2:3000/', $_['Backend']) }
        $record = Get-ErrorRecord { ConvertFrom-ApacheProxySite $text }
        $record.FullyQualifiedErrorId | Should -BeLike "$Id`:*" -Because $record.Exception.Message
        $record.CategoryInfo.Category | Should -Be 'SecurityError'
        $record.TargetObject | Should -Not -BeNullOrEmpty
        $record.Exception.Message | Should -Match 'line \d+'
        $record.Exception.Message | Should -Match ([regex]::Escape(($Id -split ':')[1]))
    }

    It 'names the directive and its line in the error id' {
        $record = Get-ErrorRecord { ConvertFrom-ApacheProxySite (& $Site '    CustomLog "|/bin/sh" combined') }
        $record.FullyQualifiedErrorId | Should -BeLike 'ApacheRunsProgram:CustomLog:4,*'
    }

    It 'reads a file with the same allow-list' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N')).conf"
        Set-Content $file (& $Site '    Include /etc/shadow')
        try { (Get-ErrorRecord { Import-ApacheProxySite $file }).FullyQualifiedErrorId | Should -BeLike 'ApacheReadsFile:Include:*' }
        finally { Remove-Item $file }
    }

    It 'lets a directive through only when it is named in -AllowDirective' {
        $text = & $Site '    CustomLog "|/usr/bin/rotatelogs /var/log/apache2/x.%Y 86400" combined'
        $site = ConvertFrom-ApacheProxySite $text -AllowDirective CustomLog
        $site.ExtraDirectives | Should -Contain 'CustomLog "|/usr/bin/rotatelogs /var/log/apache2/x.%Y 86400" combined'
        $site.AllowedDirectives | Should -Be @('CustomLog')
        { $site.EnsureInstallable() } | Should -Not -Throw
        (Get-ErrorRecord { ConvertFrom-ApacheProxySite $text -AllowDirective ErrorLog }).FullyQualifiedErrorId | Should -BeLike 'ApacheRunsProgram:*'
    }

    It 'keeps what a proxy site needs: logs in the log folder, headers, redirects, rewrites to the backend' {
        $inside = @(
            '    ErrorLog ${APACHE_LOG_DIR}/x-error.log'
            '    CustomLog /var/log/apache2/x-access.log combined'
            '    Header always set Strict-Transport-Security "max-age=63072000"'
            '    RewriteEngine On'
            '    RewriteRule ^/old/(.*)$ https://hostile.example.test/new/$1 [R=301,L]'
            '    RewriteRule ^/api/(.*)$ http://192.168.4.2:4000/$1 [P]'
            '    RewriteRule ^/secret - [F]'
            "    <Location /admin>`n        Require ip 192.168.1.0/24`n    </Location>"
            '    ProxyPass /api/ http://192.168.4.2:4000/'
        ) -join "`n"
        $site = ConvertFrom-ApacheProxySite (& $Site $inside)
        $site.ExtraDirectives.Count | Should -Be 9
        (ConvertFrom-ApacheProxySite $site.Text).Text | Should -BeExactly $site.Text
    }

    It 'holds a typed backend on the relay itself to the same rule as an imported one; only an import names its exception' {
        Assert-HomeTunnelError (Get-ErrorRecord { New-ApacheProxySite -ServerName local.example.test -Backend http://127.0.0.1:8080/ }) 'BackendNotInTunnel' 'SecurityError' 'http://127.0.0.1:8080/'
        $text = "<VirtualHost *:80>`n    ServerName local.example.test`n    ProxyPass / http://127.0.0.1:8080/`n</VirtualHost>`n"
        (Get-ErrorRecord { ConvertFrom-ApacheProxySite $text }).FullyQualifiedErrorId | Should -BeLike 'ApacheOpenProxy:ProxyPass:*'
        (ConvertFrom-ApacheProxySite $text -AllowDirective ProxyPass).ServerName | Should -Be 'local.example.test'
    }

    It 'round-trips quoted arguments with their quotes' {
        $site = ConvertFrom-ApacheProxySite (& $Site "    Header set X-Note `"a b  c`"`n    RequestHeader set X-Q 'single quoted'")
        $site.ExtraDirectives | Should -Contain 'Header set X-Note "a b  c"'
        $site.Text | Should -Match ([regex]::Escape("RequestHeader set X-Q 'single quoted'"))
        (ConvertFrom-ApacheProxySite $site.Text).ExtraDirectives | Should -Be $site.ExtraDirectives
    }

    It 'refuses a site object changed after it was made' {
        $site = ConvertFrom-ApacheProxySite (& $Site '    Header set X y')
        { $site.ExtraDirectives.Add('LoadModule evil /tmp/e.so') } | Should -Throw
        { $site.ExtraDirectives[0] = 'LoadModule evil /tmp/e.so' } | Should -Throw
    }
}

Describe 'A file that is not a config never has its lines repeated in an error' {
    It 'refuses <Case> without showing its text' -ForEach @(
        @{ Case = 'a shadow file as an Apache site'; Cmd = 'Import-ApacheProxySite'; Text = "root:`$y`$j9T`$SECRETHASH:19000:0:99999:7:::`nbin:*:19000::::::`n" }
        @{ Case = 'a shadow file as a wg-quick config'; Cmd = 'Import-WireGuardConfig'; Text = "bin:SECRETHASH:1::`nroot:`$y`$SECRETHASH:19000:0:99999:7:::`n" }
        @{ Case = 'an environment file as a wg-quick config'; Cmd = 'Import-WireGuardConfig'; Text = "SECRETHASH_TOKEN=abc`n" }
        @{ Case = 'an INI file as a wg-quick config'; Cmd = 'Import-WireGuardConfig'; Text = "[SECRETHASH:x]`nkey = value`n" }
        @{ Case = 'a broken section as an Apache site'; Cmd = 'Import-ApacheProxySite'; Text = "<SECRETHASH:x y`n" }
        @{ Case = 'an unclosed quote as an Apache site'; Cmd = 'Import-ApacheProxySite'; Text = "Header set X `"SECRETHASH`n" }
        @{ Case = 'a closing tag as an Apache site'; Cmd = 'Import-ApacheProxySite'; Text = "</SECRETHASH:x>`n" }
    ) {
        $file = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N'))"
        Set-Content $file $Text -NoNewline
        try {
            $record = Get-ErrorRecord { & $Cmd $file }
            $record.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
            "$record $($record.TargetObject) $($record.ErrorDetails) $($record.Exception.Message)" | Should -Not -Match 'SECRETHASH'
        }
        finally { Remove-Item $file }
    }
}

Describe 'Names are whole strings' {
    It 'refuses <Case> with <Id>' -ForEach @(
        @{ Case = 'an interface name with a final newline'; Id = 'InterfaceNameInvalid'; Run = { Install-WireGuardConfig -InputObject (New-WireGuardConfig -For $HomePeer -Peer $Relay) -InterfaceName "wg0`n" -WhatIf } }
        @{ Case = 'a peer name with a final newline'; Id = 'PeerNameInvalid'; Run = { New-TunnelPeer -Name "home`n" -Role Home -Address 192.168.4.9/32 } }
        @{ Case = 'a check name with a final newline'; Id = 'InvalidCheckName'; Run = { Register-TunnelPathCheck site.example.test -Name "x`n" -WhatIf } }
        @{ Case = 'a server name with a final newline'; Id = 'ServerNameHasForbiddenCharacter'; Run = { $HomePeer | New-ApacheProxySite -ServerName "a.example.test`n" -Port 3000 } }
        @{ Case = 'a URL path with a final newline'; Id = 'ParameterArgumentValidationError'; Run = { Test-TunnelPath a.example.test -UrlPath "/x`n" -RelayAddress 127.0.0.1 } }
        @{ Case = 'a peer name with a path'; Id = 'PeerNameInvalid'; Run = { New-TunnelPeer -Name '../x' -Role Home -Address 192.168.4.9/32 } }
        @{ Case = 'an interface name with a slash'; Id = 'InterfaceNameInvalid'; Run = { Uninstall-WireGuardConfig -InterfaceName '../../etc/passwd' -WhatIf } }
        @{ Case = 'a check name climbing out'; Id = 'InvalidCheckName'; Run = { Unregister-TunnelPathCheck -Name '..' -WhatIf } }
        @{ Case = 'a server name that is an IPv4 address'; Id = 'ServerNameIsIPAddress'; Run = { $HomePeer | New-ApacheProxySite -ServerName 192.0.2.1 -Port 3000 } }
        @{ Case = 'a server name that is a private address'; Id = 'ServerNameIsIPAddress'; Run = { $HomePeer | New-ApacheProxySite -ServerName 10.0.0.1 -Port 3000 } }
        @{ Case = 'an alias that is an address'; Id = 'ServerAliasIsIPAddress'; Run = { $HomePeer | New-ApacheProxySite -ServerName a.example.test -ServerAlias 203.0.113.5 -Port 3000 } }
        @{ Case = 'an imported server name that is an address'; Id = 'ServerNameIsIPAddress'; Run = { ConvertFrom-ApacheProxySite "<VirtualHost *:80>`nServerName 192.0.2.1`nProxyPass / http://192.168.4.2:3000/`n</VirtualHost>" } }
        @{ Case = 'a server name ending in a number'; Id = 'ServerNameIsIPAddress'; Run = { $HomePeer | New-ApacheProxySite -ServerName 'host.123' -Port 3000 } }
    ) {
        $record = Get-ErrorRecord $Run
        $record.FullyQualifiedErrorId | Should -BeLike "$Id[,:]*"
        $record.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
    }
}

Describe 'Keys wg or the kernel would misuse' {
    It 'refuses the small-order public key <Hex>' -ForEach @(
        @{ Hex = '0000000000000000000000000000000000000000000000000000000000000000' }
        @{ Hex = '0100000000000000000000000000000000000000000000000000000000000000' }
        @{ Hex = 'E0EB7A7C3B41B8AE1656E3FAF19FC46ADA098DEB9C32B1FD866205165F49B800' }
        @{ Hex = '5F9C95BCA3508C24B1D0B1559C83EF5B04445CC4581C8E86D8224EDDD09F1157' }
        @{ Hex = 'ECFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F' }
        @{ Hex = 'EDFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F' }
        @{ Hex = 'EEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' }
        @{ Hex = '0100000000000000000000000000000000000000000000000000000000000080' }
    ) {
        $key = [Convert]::ToBase64String([Convert]::FromHexString($Hex))
        $record = Get-ErrorRecord { New-TunnelPeer -Name p -Role Home -Address 192.168.4.9/32 -PublicKey $key }
        Assert-HomeTunnelError $record 'KeyLowOrder' 'SecurityError'
        $text = "[Interface]`nPrivateKey = $Private`n[Peer]`nPublicKey = $key`nAllowedIPs = 192.168.4.1/32`n"
        (Get-ErrorRecord { ConvertFrom-WireGuardConfig $text }).FullyQualifiedErrorId | Should -BeLike 'KeyLowOrder,*'
    }

    It 'refuses an all-zero <What>' -ForEach @(@{ What = 'PrivateKey' }, @{ What = 'PresharedKey' }) {
        $zero = [Convert]::ToBase64String([byte[]]::new(32))
        $pub = $Relay.PublicKey
        $text = if ($What -eq 'PrivateKey') { "[Interface]`nPrivateKey = $zero`n" } else { "[Interface]`nPrivateKey = $Private`n[Peer]`nPublicKey = $pub`nPresharedKey = $zero`nAllowedIPs = 192.168.4.1/32`nEndpoint = 192.0.2.1:51820`n" }
        $record = Get-ErrorRecord { ConvertFrom-WireGuardConfig $text }
        Assert-HomeTunnelError $record 'KeyAllZero' 'SecurityError'
        "$($record.TargetObject) $($record.Exception.Message)" | Should -Not -Match ([regex]::Escape($zero))
    }
}

Describe 'Configs are checked before they are made or installed' {
    It 'refuses a home config that routes <Net> through the relay' -ForEach @(@{ Net = '0.0.0.0/0' }, @{ Net = '::/0' }) {
        $wide = New-TunnelPeer -Name relay2 -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test -AllowedIPs $Net
        $record = Get-ErrorRecord { New-WireGuardConfig -For $HomePeer -Peer $wide }
        Assert-HomeTunnelError $record 'DefaultRouteThroughTunnel' 'InvalidData'
    }

    It 'refuses an imported config that <Case> at Install, before any host' -ForEach @(
        @{ Case = 'routes everything through the relay'; Id = 'DefaultRouteThroughTunnel'; Peers = "[Peer]`nPublicKey = {relay}`nAllowedIPs = 0.0.0.0/0`nEndpoint = 192.0.2.1:51820`n" }
        @{ Case = 'lists two peers with overlapping AllowedIPs'; Id = 'AllowedIPsOverlap'; Peers = "[Peer]`nPublicKey = {relay}`nAllowedIPs = 192.168.4.0/24`n[Peer]`nPublicKey = {other}`nAllowedIPs = 192.168.4.7/32`n"; Listen = $true }
        @{ Case = 'gives a peer its own address'; Id = 'DuplicateAddress'; Peers = "[Peer]`nPublicKey = {relay}`nAllowedIPs = 192.168.4.2/32`nEndpoint = 192.0.2.1:51820`n" }
        @{ Case = 'lists its own key as a peer'; Id = 'ConfigPeerIsSelf'; Peers = "[Peer]`nPublicKey = {self}`nAllowedIPs = 192.168.4.1/32`nEndpoint = 192.0.2.1:51820`n" }
    ) {
        $other = (New-TunnelKeyPair).PublicKey
        $peers = $Peers.Replace('{relay}', $Relay.PublicKey).Replace('{other}', $other).Replace('{self}', $HomePeer.PublicKey)
        $listen = if ($_['Listen']) { "ListenPort = 51820`n" } else { '' }
        $text = "[Interface]`nPrivateKey = $Private`nAddress = 192.168.4.2/32`n$listen$peers"
        $session = [pscustomobject]@{}  # never reached: the refusal comes first
        $record = Get-ErrorRecord { ConvertFrom-WireGuardConfig $text | Install-WireGuardConfig -WhatIf }
        $record.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        "$record $($record.TargetObject)" | Should -Not -Match ([regex]::Escape($Private))
    }
}

Describe 'Role mismatches are refused when the object is made' {
    It 'refuses a relay peer piped into New-ApacheProxySite' {
        $record = Get-ErrorRecord { $Relay | New-ApacheProxySite -ServerName a.example.test -Port 3000 }
        Assert-HomeTunnelError $record 'RoleMismatch' 'InvalidArgument' 'relay'
        $record.Exception.Message | Should -Match 'Home peer'
    }

    It 'refuses a home-to-home config' {
        $other = New-TunnelPeer -Name home2 -Role Home -Address 192.168.4.3/32
        $record = Get-ErrorRecord { New-WireGuardConfig -For $HomePeer -Peer $other }
        Assert-HomeTunnelError $record 'RoleMismatch' 'InvalidArgument'
    }
}

Describe 'Sites are checked before they are installed' {
    It 'refuses two sites that answer one name, before any host' {
        $a = $HomePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000
        $b = $HomePeer | New-ApacheProxySite -ServerName b.example.test -ServerAlias a.example.test -Port 3001
        $record = Get-ErrorRecord { $a, $b | Install-ApacheProxySite -WhatIf }
        Assert-HomeTunnelError $record 'DuplicateServerName' 'InvalidData'
    }
}

Describe 'Secrets never show, whatever the spelling' {
    It 'redacts <Case>' -ForEach @(
        @{ Case = 'a PrivateKey line'; Line = 'PrivateKey = {key}' }
        @{ Case = 'a lower-case key name'; Line = 'privatekey={key}' }
        @{ Case = 'an indented key with a comment'; Line = "`t PrivateKey   =   {key}  # mine" }
        @{ Case = 'a preshared key'; Line = 'PRESHAREDKEY = {key}' }
        @{ Case = 'a misspelt key name'; Line = 'PrivatKey = {key}' }
        @{ Case = 'a misspelt key name without spaces'; Line = 'PrivatKey={key}' }
        @{ Case = 'a key after another value'; Line = 'Foo = bar={key}' }
        @{ Case = 'a key in a comment'; Line = '# old key {key}' }
        @{ Case = 'a key inside other text'; Line = 'wg: Key is not the correct length or format: `{key}''' }
        @{ Case = 'a key in a PublicKey line with more after it'; Line = 'PublicKey = {key} extra' }
    ) {
        $text = "[Interface]`n" + $Line.Replace('{key}', $Private)
        $out = [HomeTunnel.Hosts.Redaction]::Redact($text, [string[]]@())
        $out | Should -Not -Match ([regex]::Escape($Private))
        $out | Should -Match '\(redacted\)'
        $diff = [HomeTunnel.Hosts.HostDiff]::Build([HomeTunnel.Hosts.HostFileFact[]]@([HomeTunnel.Hosts.HostFileFact]::new('/etc/wireguard/wg0.conf', $text, $false)),
            [System.Collections.Generic.Dictionary[string, string]]::new(), [string[]]@())
        $diff | Should -Not -Match ([regex]::Escape($Private))
    }

    It 'keeps a public key on its own line' {
        $pub = $Relay.PublicKey
        [HomeTunnel.Hosts.Redaction]::Redact("publickey = $pub", [string[]]@()) | Should -BeExactly "publickey = $pub"
    }

    It 'shows a key under a misspelt name in a parsed config as (redacted), and writes the real one to the file' {
        $text = "[Interface]`nPrivateKey = $Private`nPrivatKey = $Private`n"
        $config = ConvertFrom-WireGuardConfig $text
        $config.ExtraSettings[0].Value | Should -Be '(redacted)'
        "$($config.ExtraSettings[0])" | Should -Not -Match ([regex]::Escape($Private))
        $config.Text | Should -Not -Match ([regex]::Escape($Private))
        ($config | ConvertTo-Json -Depth 6 -WarningAction Ignore) | Should -Not -Match ([regex]::Escape($Private))
        $config.RevealText() | Should -Match ([regex]::Escape("PrivatKey = $Private"))
        $findings = Test-TunnelConfig $config 6>&1 3>&1 | Out-String
        $findings | Should -Not -Match ([regex]::Escape($Private))
    }

    It 'leaves a quoted line of a file HomeTunnel did not write out of an error' {
        $out = "AH00526: Syntax error on line 1 of /etc/shadow:`nInvalid command 'root:`$y`$j9T`$secret:19000:0:99999:7:::', perhaps misspelled`nAction 'configtest' failed."
        $safe = [HomeTunnel.Hosts.Redaction]::ForError($out, [string[]]@(), [string[]]@('/etc/apache2/sites-available/a.example.test.conf'))
        $safe | Should -Not -Match 'root:'
        $safe | Should -Match 'not shown'
        $safe | Should -Match "Action 'configtest' failed"
        $own = "AH00526: Syntax error on line 3 of /etc/apache2/sites-enabled/a.example.test.conf:`nInvalid command 'Bogus'"
        [HomeTunnel.Hosts.Redaction]::ForError($own, [string[]]@(), [string[]]@('/etc/apache2/sites-available/a.example.test.conf')) | Should -Match 'Bogus'
    }
}

Describe 'Peer files never crash the import' {
    It 'refuses <Case> with <Id>' -ForEach @(
        @{ Case = 'JSON null'; Id = 'PeerFileVersion'; Json = 'null' }
        @{ Case = 'a null peer list'; Id = 'PeerFileInvalid'; Json = '{"formatVersion":1,"peers":null}' }
        @{ Case = 'a null peer'; Id = 'PeerFileInvalid'; Json = '{"formatVersion":1,"peers":[null]}' }
        @{ Case = 'a numeric role'; Id = 'PeerFileInvalid'; Json = '{"formatVersion":1,"peers":[{"name":"a","role":7,"address":"192.168.4.2/32","publicKey":"{pub}"}]}' }
        @{ Case = 'an unknown role'; Id = 'PeerFileInvalid'; Json = '{"formatVersion":1,"peers":[{"name":"a","role":"Boss","address":"192.168.4.2/32","publicKey":"{pub}"}]}' }
        @{ Case = 'a missing role'; Id = 'PeerFileInvalid'; Json = '{"formatVersion":1,"peers":[{"name":"a","address":"192.168.4.2/32","publicKey":"{pub}"}]}' }
        @{ Case = 'a mistyped port'; Id = 'PeerFileInvalid'; Json = '{"formatVersion":1,"peers":[{"name":"a","role":"Relay","address":"192.168.4.1/24","publicKey":"{pub}","listenPort":"x"}]}' }
        @{ Case = 'a missing name'; Id = 'PeerNameInvalid'; Json = '{"formatVersion":1,"peers":[{"role":"Home","address":"192.168.4.2/32","publicKey":"{pub}"}]}' }
        @{ Case = 'a missing address'; Id = 'AddressInvalid'; Json = '{"formatVersion":1,"peers":[{"name":"a","role":"Home","publicKey":"{pub}"}]}' }
        @{ Case = 'a name with a newline'; Id = 'PeerNameInvalid'; Json = '{"formatVersion":1,"peers":[{"name":"a\n","role":"Home","address":"192.168.4.2/32","publicKey":"{pub}"}]}' }
        @{ Case = 'deep nesting'; Id = 'PeerFileInvalid'; Json = ('[' * 100) + (']' * 100) }
        @{ Case = 'another format version'; Id = 'PeerFileVersion'; Json = '{"formatVersion":2,"peers":[]}' }
        @{ Case = 'a null in AllowedIPs'; Id = 'AddressInvalid'; Json = '{"formatVersion":1,"peers":[{"name":"a","role":"Home","address":"192.168.4.2/32","publicKey":"{pub}","allowedIPs":[null]}]}' }
    ) {
        $file = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N')).json"
        Set-Content $file $Json.Replace('{pub}', $Relay.PublicKey)
        try {
            $record = Get-ErrorRecord { Import-TunnelPeer $file }
            $record.FullyQualifiedErrorId | Should -BeLike "$Id[,:]*" -Because $record.Exception.Message
            $record.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
        }
        finally { Remove-Item $file }
    }

    It 'gives a Home peer without a keepalive the Home default' {
        $file = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N')).json"
        Set-Content $file ('{"formatVersion":1,"peers":[{"name":"a","role":"Home","address":"192.168.4.2/32","publicKey":"' + $Relay.PublicKey + '"}]}')
        try { (Import-TunnelPeer $file).PersistentKeepalive | Should -Be 25 } finally { Remove-Item $file }
    }

    It 'refuses <Case> as an input file' -ForEach @(
        @{ Case = 'a folder'; Path = '/tmp'; Id = 'NotARegularFile' }
        @{ Case = 'an endless device, refused before a byte is read'; Path = '/dev/zero'; Id = 'NotARegularFile' }
        @{ Case = 'a missing file'; Path = '/nonexistent/x.conf'; Id = 'FileNotFound' }
    ) {
        foreach ($run in { Import-TunnelPeer $Path }, { Import-WireGuardConfig $Path }, { Import-ApacheProxySite $Path }) {
            $record = Get-ErrorRecord $run
            $record.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        }
    }
}

Describe 'Exports write only regular files' {
    It 'refuses to export to <Case>' -ForEach @(
        @{ Case = 'a device'; Path = '/dev/null' }
        @{ Case = 'a folder'; Path = '/tmp' }
    ) {
        $record = Get-ErrorRecord { $Relay | Export-TunnelPeer -Path $Path -Force }
        Assert-HomeTunnelError $record 'NotARegularFile' 'InvalidArgument'
        if ($Path -eq '/dev/null') { (Get-Item /dev/null).UnixStat.ItemType | Should -Be 'CharacterDevice' }
    }
}

Describe 'Scheduled checks take values as data, never as code' {
    BeforeAll {
        function New-Plan([hashtable] $Parameters) {
            [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{
                Name = 'site.example.test'; ServerName = 'site.example.test'; IntervalMinutes = 5
                ModulePath = '/opt/HomeTunnel'; PwshCommand = @('/usr/bin/pwsh'); ScriptPath = '/etc/hometunnel/checks/site.example.test.ps1'
                LogPath = '/var/log/hometunnel/site.example.test.jsonl'
                Parameters = [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckParameters($Parameters)
            }
        }
    }

    It 'keeps <Case> out of the script and exact in the data' -ForEach @(
        @{ Case = 'a single quote'; Value = "/root/it's'; rm -rf /; '" }
        @{ Case = 'a right single quotation mark'; Value = "/root/x$([char]0x2019); Remove-Item -Recurse / ; $([char]0x2019)" }
        @{ Case = 'a left single quotation mark'; Value = "/root/x$([char]0x2018)+(iex 'id')+$([char]0x2018)" }
        @{ Case = 'a low single quotation mark'; Value = "/root/x$([char]0x201A)); iex id #" }
        @{ Case = 'a reversed quotation mark'; Value = "/root/x$([char]0x201B)$(' + ')`$(id)" }
        @{ Case = 'a sub-expression'; Value = '/root/$(Invoke-Expression id)/key' }
        @{ Case = 'a double quote and backtick'; Value = '/root/"`$env:PATH"' }
    ) {
        $plan = New-Plan @{ KeyFilePath = $Value; RelayHostName = 'vps.example.test' }
        $plan.Script() | Should -BeExactly (New-Plan @{}).Script()
        $plan.Script().Contains($Value) | Should -BeFalse
        ($plan.Data() | ConvertFrom-Json -AsHashtable).Parameters.KeyFilePath | Should -BeExactly $Value
    }

    It 'refuses a log that the system would run or trust: <Path>' -ForEach @(
        @{ Path = '/etc/cron.d/evil.log' }
        @{ Path = '/root/.ssh/authorized_keys' }
        @{ Path = '/home/u/.ssh/x.log' }
        @{ Path = '/var/spool/cron/crontabs/root' }
        @{ Path = '/tmp/check.sh' }
        @{ Path = '/usr/lib/x.log' }
    ) {
        $record = Get-ErrorRecord { Register-TunnelPathCheck site.example.test -LogPath $Path -WhatIf }
        Assert-HomeTunnelError $record 'InvalidCheckLogPath' 'InvalidArgument'
    }

    It 'refuses a command line that cron or Task Scheduler would expand or break: <Case>' -ForEach @(
        @{ Case = 'a percent sign'; Pwsh = '/opt/p%wsh/pwsh' }
        @{ Case = 'a newline'; Pwsh = "/opt/pwsh`n* * * * * root id" }
    ) {
        $plan = New-Plan @{}
        $plan = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{ Name = $plan.Name; ServerName = $plan.ServerName; IntervalMinutes = 5; ModulePath = '/m'; PwshCommand = @($Pwsh); ScriptPath = $plan.ScriptPath; LogPath = '/l' }
        $e = { $plan.CommandLine() } | Should -Throw -PassThru
        $e.Exception.GetBaseException().ErrorId | Should -Be 'InvalidCheckCommand'
        { $plan.CronLine($true) } | Should -Throw
    }

    It 'quotes a Windows command line as CommandLineToArgvW reads it: <In>' -ForEach @(
        @{ In = 'C:\Program Files\PowerShell\7\pwsh.exe'; Out = '"C:\Program Files\PowerShell\7\pwsh.exe"' }
        @{ In = 'C:\a b\'; Out = '"C:\a b\\"' }
        @{ In = 'say "hi"'; Out = '"say \"hi\""' }
        @{ In = 'a\"b'; Out = '"a\\\"b"' }
        @{ In = 'plain'; Out = 'plain' }
        @{ In = ''; Out = '""' }
    ) {
        [HomeTunnel.Scheduling.TunnelPathCheckPlan]::WindowsQuote($In) | Should -BeExactly $Out
    }
}
