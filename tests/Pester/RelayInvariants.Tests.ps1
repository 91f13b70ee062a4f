# The relay's invariants, offline: what the relay itself needs is read from its own text (ss, sshd -T, wg, ports.conf)
# and no forward may take it, overlap another, or leave the tunnel; HomeTunnel's nftables tables name no interface, so
# one tunnel's install never rewrites another's fence; one backend policy for every proxying form and every site;
# doors that are doors. On real hosts: RelayInvariants.Lab.Tests.ps1.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    # What a Debian relay says of itself, as the agent sends it.
    function New-RelayFacts([string] $Ss = $null, [string] $Sshd = "port 22`nlistenaddress 0.0.0.0:22`nlistenaddress [::]:22", [string] $WgListen = "wg0`t51820`n", [string] $WgAllowed = "wg0`tAbCd=`t192.168.4.2/32`n", [hashtable] $WgFiles = @{}, [string] $ApacheListen = "Listen 80`nListen 443", [bool] $SsOk = $true) {
        if (-not $PSBoundParameters.ContainsKey('Ss')) {
            $Ss = @(
                'tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=512,fd=3))'
                'tcp   LISTEN 0      511                *:80              *:*    users:(("apache2",pid=700,fd=4))'
                'tcp   LISTEN 0      511                *:443             *:*    users:(("apache2",pid=700,fd=6))'
                'tcp   LISTEN 0      4096       127.0.0.1:631       0.0.0.0:*    users:(("cupsd",pid=9,fd=7))'
                'udp   UNCONN 0      0            0.0.0.0:51820     0.0.0.0:*    users:(("wireguard-go",pid=800,fd=9))'
                'tcp   LISTEN 0      128        10.0.0.5:9100       0.0.0.0:*    users:(("node_exporter",pid=44,fd=3))'
            ) -join "`n"
        }
        ConvertTo-AgentFacts RelayNeedsText @{ SsOk = $SsOk; Ss = $Ss; Sshd = $Sshd; Tunnel = @{ WgListen = $WgListen; WgAllowed = $WgAllowed; WgFiles = $WgFiles }; ApacheListen = $ApacheListen }
    }
    function Test-Forward($Forwards, $Relay = (New-RelayFacts), [string[]] $Existing = @()) {
        $needs = [HomeTunnel.Forwards.RelayNeeds]::From($Relay)
        [HomeTunnel.Forwards.ForwardGuard]::Check([HomeTunnel.Forwards.TunnelPortForward[]]@($Forwards), $needs, [string[]]$Existing)
    }
    function New-Forward([string] $Protocol, [string] $PublicPort, [string] $Port = $null, [string] $Address = '192.168.4.2', [string] $Interface = 'wg0') {
        $p = @{ Protocol = $Protocol; PublicPort = $PublicPort; Address = $Address; InterfaceName = $Interface }
        if ($Port) { $p.Port = $Port }
        New-TunnelPortForward @p
    }
}

Describe 'What the relay itself needs' {
    It 'reads sshd, WireGuard, Apache and every other listener, and not what listens on loopback only' {
        $needs = [HomeTunnel.Forwards.RelayNeeds]::From((New-RelayFacts -WgFiles @{ wg1 = "ListenPort = 51821`nAllowedIPs = 10.7.0.2/32" }))
        $uses = $needs.Ports | ForEach-Object { "$($_.Protocol)/$($_.Port)" } | Sort-Object -Unique
        $uses | Should -Contain 'Tcp/22'
        $uses | Should -Contain 'Tcp/80'
        $uses | Should -Contain 'Tcp/443'
        $uses | Should -Contain 'Udp/51820'
        $uses | Should -Contain 'Udp/51821'
        $uses | Should -Contain 'Tcp/9100'
        $uses | Should -Not -Contain 'Tcp/631'
        $needs.PeerRoutes['wg1'] | ForEach-Object ToString | Should -Be '10.7.0.2/32'
        $needs.Complete | Should -BeTrue
    }

    It 'refuses a forward of <Case>, naming the port and who uses it, whatever else is given' -ForEach @(
        @{ Case = 'the relay''s SSH port'; Protocol = 'Tcp'; PublicPort = '22'; Port = '2222'; Id = 'ForwardPortInUse:tcp-22'; Who = 'sshd' }
        @{ Case = 'a range holding the SSH port'; Protocol = 'Tcp'; PublicPort = '20-30'; Port = $null; Id = 'ForwardPortInUse:tcp-22'; Who = 'sshd' }
        @{ Case = 'the WireGuard port'; Protocol = 'Udp'; PublicPort = '51820'; Port = $null; Id = 'ForwardPortInUse:udp-51820'; Who = 'WireGuard wg0' }
        @{ Case = 'Apache''s port'; Protocol = 'Tcp'; PublicPort = '443'; Port = $null; Id = 'ForwardPortInUse:tcp-443'; Who = 'apache2' }
        @{ Case = 'another service''s port'; Protocol = 'Tcp'; PublicPort = '9100'; Port = $null; Id = 'ForwardPortInUse:tcp-9100'; Who = 'node_exporter' }
    ) {
        $plan = Test-Forward (New-Forward $Protocol $PublicPort $Port)
        $plan.ErrorId | Should -Be $Id
        $plan.Message | Should -Match ([regex]::Escape($Who))
    }

    It 'counts sshd''s configured port even when nothing listens on it now, and Apache''s Listen while it is stopped' {
        $quiet = New-RelayFacts -Ss '' -Sshd "port 2200" -ApacheListen "Listen 8443 https"
        (Test-Forward (New-Forward Tcp 2200) -Relay $quiet).ErrorId | Should -Be 'ForwardPortInUse:tcp-2200'
        (Test-Forward (New-Forward Tcp 8443) -Relay $quiet).ErrorId | Should -Be 'ForwardPortInUse:tcp-8443'
    }

    It 'lets a free port through' {
        Test-Forward (New-Forward Tcp 2222 22) | Should -BeNullOrEmpty
        # UDP 22 is not TCP 22.
        Test-Forward (New-Forward Udp 22) | Should -BeNullOrEmpty
    }

    It 'refuses a forward that overlaps one on the relay or in the same command, and takes its own key again' {
        (Test-Forward (New-Forward Udp 27010-27020) -Existing 'udp-27015-27030').ErrorId | Should -Be 'ForwardOverlaps'
        (Test-Forward (New-Forward Udp 27030) -Existing 'udp-27015-27030').ErrorId | Should -Be 'ForwardOverlaps'
        (Test-Forward @((New-Forward Tcp 3000-3010), (New-Forward Tcp 3005))).ErrorId | Should -Be 'ForwardOverlaps'
        Test-Forward (New-Forward Tcp 27020) -Existing 'udp-27015-27030' | Should -BeNullOrEmpty
        Test-Forward (New-Forward Udp 27015-27030) -Existing 'udp-27015-27030' | Should -BeNullOrEmpty
    }

    It 'refuses a destination no peer of the interface carries' {
        (Test-Forward (New-Forward Tcp 2222 -Address 192.168.4.9)).ErrorId | Should -Be 'ForwardTargetNotAPeer'
        (Test-Forward (New-Forward Tcp 2222 -Interface wg1)).ErrorId | Should -Be 'ForwardTargetNotAPeer'
        # A peer that routes everything (0.0.0.0/0) does not make every address a peer's.
        (Test-Forward (New-Forward Tcp 2222 -Address 203.0.113.7) -Relay (New-RelayFacts -WgAllowed "wg0`tk=`t0.0.0.0/0`n")).ErrorId | Should -Be 'ForwardTargetNotAPeer'
        # The peer named in the wg-quick file counts while the interface is down.
        Test-Forward (New-Forward Tcp 2222 -Interface wg1 -Address 10.7.0.2) -Relay (New-RelayFacts -WgFiles @{ wg1 = 'AllowedIPs = 10.7.0.2/32' }) | Should -BeNullOrEmpty
    }

    It 'refuses everything when the relay cannot say what listens on it' {
        (Test-Forward (New-Forward Tcp 2222) -Relay (New-RelayFacts -SsOk $false)).ErrorId | Should -Be 'RelayFactsUnavailable'
        ([HomeTunnel.Forwards.ForwardGuard]::Check([HomeTunnel.Forwards.TunnelPortForward[]]@(New-Forward Tcp 2222), [HomeTunnel.Forwards.RelayNeeds]::From($null), [string[]]@())).ErrorId | Should -Be 'RelayFactsUnavailable'
    }

    It 'refuses a destination that cannot be a home peer at all, before any host: <Address>' -ForEach @(
        @{ Address = '169.254.169.254' }, @{ Address = '224.0.0.1' }, @{ Address = '0.0.0.5' }, @{ Address = '255.255.255.255' }, @{ Address = '127.0.0.1' }, @{ Address = '240.0.0.1' }
    ) {
        $e = Get-ErrorRecord { New-TunnelPortForward -Address $Address -Protocol Tcp -PublicPort 2222 }
        Assert-HomeTunnelError $e 'ForwardAddressInvalid' 'InvalidArgument' $Address
    }

    It 'shows a refusal as a PowerShell error with the forward as its target, and changes nothing (Publish counts its own relay config)' {
        $needs = [HomeTunnel.Forwards.RelayNeeds]::From((New-RelayFacts -WgListen '' -WgAllowed ''))
        $planned = [HomeTunnel.Forwards.PlannedRelay]::new('wg0', [HomeTunnel.Forwards.RelayPortUse[]]@([HomeTunnel.Forwards.RelayPortUse]::new('Udp', 51820, 'WireGuard wg0')), [HomeTunnel.TunnelAddress[]]@([HomeTunnel.TunnelAddress]::Parse('192.168.4.2/32')))
        $with = $needs.With($planned.Ports, $planned.InterfaceName, $planned.Routes)
        [HomeTunnel.Forwards.ForwardGuard]::Check([HomeTunnel.Forwards.TunnelPortForward[]]@(New-Forward Tcp 2222), $with, [string[]]@()) | Should -BeNullOrEmpty
        ([HomeTunnel.Forwards.ForwardGuard]::Check([HomeTunnel.Forwards.TunnelPortForward[]]@(New-Forward Udp 51820), $with, [string[]]@())).ErrorId | Should -Be 'ForwardPortInUse:udp-51820'
    }
}

Describe 'HomeTunnel''s tables per tunnel interface' {
    BeforeAll {
        function New-Facts([hashtable] $Files = @{}, [string[]] $Existing = @(), [string[]] $Live = @(), [bool] $Loaded = $false) {
            ConvertTo-AgentFacts NftTableFacts @{ Nft = $true; Files = $Files; Existing = $Existing; Live = $Live; TableLoaded = $Loaded; IpForward = '1'; Systemd = $false; UnitEnabled = $false; Relay = $null }
        }
        $relay = [ipaddress]'192.168.4.1'
        $site = $homePeer | New-ApacheProxySite -ServerName site.example.com -Port 3000
        $wg0 = [HomeTunnel.Forwards.HomePortOpening]::ForSite($site, $relay, 'wg0')
        $wg1 = [HomeTunnel.Forwards.HomePortOpening]::ForSite($site, [ipaddress]'10.7.0.1', 'wg1')
        $table = [HomeTunnel.Forwards.NftTable]::HomeFirewall
        $tableText = [HomeTunnel.Forwards.HomePortOpening]::TableText()
        $files = @{ $table.TablePath = $tableText; $wg0.Path = $wg0.Text; ([HomeTunnel.Forwards.HomeFence]::For('wg0')).Path = ([HomeTunnel.Forwards.HomeFence]::For('wg0')).Text }
        $filesBoth = $files.Clone()
        $filesBoth[$wg1.Path] = $wg1.Text
        $filesBoth[([HomeTunnel.Forwards.HomeFence]::For('wg1')).Path] = ([HomeTunnel.Forwards.HomeFence]::For('wg1')).Text
        $installed = @('tcp-3000.wg0', 'fence.wg0')
    }

    It 'gives each interface its own files, so the same port on two tunnels is two openings' {
        $wg0.Path | Should -Not -Be $wg1.Path
        $wg1.Text | Should -Match 'iifname "wg1" ip saddr 10\.7\.0\.1 tcp dport 3000'
        [HomeTunnel.Forwards.HomeFence]::For('wg1').Text | Should -Match 'add element inet hometunnel fenced \{ "wg1" comment "hometunnel fence\.wg1" \}'
    }

    It 'installs wg1 without writing or removing anything of wg0''s (the table text names no interface)' {
        $items = [HomeTunnel.Forwards.INftRuleFile[]]@($wg1, [HomeTunnel.Forwards.HomeFence]::For('wg1'))
        $plan = [HomeTunnel.Forwards.NftTablePlanner]::Plan((New-Facts $files $installed $installed $true), $table, $items, $tableText, $false, $false, $null)
        @($plan.Plan.Writes.Keys) | Should -Not -Contain $wg0.Path
        @($plan.Plan.Writes.Keys) | Should -Not -Contain $table.TablePath
        $plan.Plan.Removes | Should -BeNullOrEmpty
    }

    It 'removes only wg1''s fence and openings with -All on wg1, and keeps the table for wg0' {
        $both = $installed + 'tcp-3000.wg1', 'fence.wg1'
        $every = [Func[string, bool]] { param($k) [HomeTunnel.Forwards.HomeFence]::BelongsTo($k, 'wg1') }
        $plan = [HomeTunnel.Forwards.NftTablePlanner]::Plan((New-Facts $filesBoth $both $both $true), $table, [HomeTunnel.Forwards.INftRuleFile[]]@(), $tableText, $true, $false, $every)
        $plan.Plan.Removes | Sort-Object | Should -Be @("/etc/hometunnel/home.d/fence.wg1.nft", "/etc/hometunnel/home.d/tcp-3000.wg1.nft")
        $plan.Plan.DropTable | Should -BeFalse
        [HomeTunnel.Forwards.HomeFence]::BelongsTo('tcp-3000.wg0.1', 'wg0.1') | Should -BeTrue
        [HomeTunnel.Forwards.HomeFence]::BelongsTo('tcp-3000.wg0.1', '1') | Should -BeFalse
    }

    It 'keys a published service''s opening with its name, so closing it leaves the hand''s opening of the same port and the fence' {
        $held = [HomeTunnel.Forwards.HomePortOpening]::ForSite($site, $relay, 'wg0', 'Site.Example.COM')
        $held.Key | Should -BeExactly 'tcp-3000.wg0@site.example.com'
        $held.Text | Should -Match 'comment "hometunnel tcp-3000\.wg0@site\.example\.com"'
        [HomeTunnel.Forwards.HomeFence]::BelongsTo($held.Key, 'wg0') | Should -BeTrue
        [HomeTunnel.Forwards.HomeFence]::BelongsTo($held.Key, 'wg1') | Should -BeFalse
        [HomeTunnel.Forwards.HomePortOpening]::HeldBy($held.Key, 'site.example.com') | Should -BeTrue
        [HomeTunnel.Forwards.HomePortOpening]::HeldBy($held.Key, 'example.com') | Should -BeFalse
        [HomeTunnel.Forwards.HomePortOpening]::HeldBy($wg0.Key, 'site.example.com') | Should -BeFalse
        $withHeld = $files.Clone(); $withHeld[$held.Path] = $held.Text
        $keys = $installed + $held.Key
        $every = [Func[string, bool]] { param($k) [HomeTunnel.Forwards.HomeFence]::BelongsTo($k, 'wg0') -and [HomeTunnel.Forwards.HomePortOpening]::HeldBy($k, 'site.example.com') }
        $plan = [HomeTunnel.Forwards.NftTablePlanner]::Plan((New-Facts $withHeld $keys $keys $true), $table, [HomeTunnel.Forwards.INftRuleFile[]]@(), $tableText, $true, $false, $every, $false)
        $plan.Plan.Removes | Should -Be @($held.Path)
        $plan.Plan.DropTable | Should -BeFalse
        $plan.Plan.Reload | Should -BeTrue
        $e = try { [HomeTunnel.Forwards.HomePortOpening]::ForSite($site, $relay, 'wg0', 'bad name'); $null } catch { $_.Exception.InnerException }
        $e.ErrorId | Should -BeLike 'ServerName*'
    }

    It 'reads a forward back from its file on the relay, with the service that published it, and nothing from a file that is not one' {
        $f = (New-Forward Tcp 27015-27030 -Interface wg1 -Address 10.7.0.2)
        $p = $f.PublishedBy('game.example.com')
        $p.Text | Should -Match '(?m)^# published with game\.example\.com \(Publish-HomeService\)$'
        $back = [HomeTunnel.Forwards.TunnelPortForward]::FromFile($p.Text)
        $back.Text | Should -BeExactly $p.Text
        $back.PublishedWith | Should -Be 'game.example.com'
        [HomeTunnel.Forwards.TunnelPortForward]::FromFile($f.Text).PublishedWith | Should -BeNullOrEmpty
        [HomeTunnel.Forwards.TunnelPortForward]::FromFile($f.Text).Text | Should -BeExactly $f.Text
        $kept = (New-Forward Udp 5353 -Port 7777) | ForEach-Object { [HomeTunnel.Forwards.TunnelPortForward]::Create('Udp', '5353', '7777', [ipaddress]'192.168.4.2', 'home', 'wg0', $true) }
        [HomeTunnel.Forwards.TunnelPortForward]::FromFile($kept.Text).Text | Should -BeExactly $kept.Text
        foreach ($bad in '', "# Managed by HomeTunnel`n# tcp 22 on the relay -> 169.254.169.254:80 (home) through wg0", "# tcp 22 on the relay -> 192.168.4.2:22 (home) through wg0", "# Managed by HomeTunnel`n# tcp 2222 on the relay -> 192.168.4.2:22 (home) through wg0`r") {
            [HomeTunnel.Forwards.TunnelPortForward]::FromFile($bad) | Should -BeNullOrEmpty -Because "'$bad' is not a forward's file"
        }
    }

    It 'writes the forwards table with no interface in it, each forward adding its own to the fenced set' {
        $t = [HomeTunnel.Forwards.TunnelPortForward]::TableText()
        $t | Should -Match 'iifname @tunnels drop'
        $t | Should -Not -Match 'wg\d'
        (New-Forward Tcp 2222 -Interface wg1 -Address 10.7.0.2).Text | Should -Match 'add element ip hometunnel tunnels \{ "wg1" \}'
    }
}

Describe 'One backend policy for every proxying form and every site' {
    BeforeAll {
        function ConvertFrom-Inside([string] $Inside, [string] $Backend = 'http://192.168.4.2:3000/') {
            ConvertFrom-ApacheProxySite "<VirtualHost *:80>`n    ServerName a.example.test`n    ProxyPass / $Backend`n$Inside`n</VirtualHost>`n"
        }
    }

    It 'refuses <Case>' -ForEach @(
        @{ Case = 'a one-argument ProxyPass in a Location to the relay'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = "    <Location /x>`n        ProxyPass http://127.0.0.1:8080/`n    </Location>"; Backend = $null }
        @{ Case = 'a one-argument ProxyPassMatch in a LocationMatch to the metadata service'; Id = 'ApacheOpenProxy:ProxyPassMatch'; Inside = "    <LocationMatch ^/m>`n        ProxyPassMatch http://169.254.169.254/`n    </LocationMatch>"; Backend = $null }
        @{ Case = 'a Location ProxyPass nested in If'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = "    <Location /x>`n        <If `"true`">`n            ProxyPass http://127.0.0.1:22/`n        </If>`n    </Location>"; Backend = $null }
        @{ Case = 'a unix socket'; Id = 'BackendSchemeNotSupported'; Inside = '    ProxyPass /s unix:/run/docker.sock|http://localhost/'; Backend = $null }
        @{ Case = 'a unix socket in a Location'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = "    <Location /s>`n        ProxyPass unix:/run/php/fpm.sock|fcgi://localhost/`n    </Location>"; Backend = $null }
        @{ Case = 'an fcgi backend on the home address'; Id = 'BackendSchemeNotSupported'; Inside = '    ProxyPass /f fcgi://192.168.4.2:9000/'; Backend = $null }
        @{ Case = 'an ajp backend'; Id = 'BackendSchemeNotSupported'; Inside = '    ProxyPass /j ajp://127.0.0.1:8009/'; Backend = $null }
        @{ Case = 'a balancer'; Id = 'BackendSchemeNotSupported'; Inside = '    ProxyPass /b balancer://mycluster/'; Backend = $null }
        @{ Case = 'a ProxyPass with no target'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = '    ProxyPass /x'; Backend = $null }
        @{ Case = 'a place hidden in a parameter'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = '    ProxyPass /p http://192.168.4.2:3000/ x=http://127.0.0.1/'; Backend = $null }
        @{ Case = 'a rewrite with a handler'; Id = 'ApacheOpenProxy:RewriteRule'; Inside = '    RewriteRule ^/h - [H=proxy:fcgi://127.0.0.1:9000]'; Backend = $null }
        @{ Case = 'a backend named by DNS'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = $null; Backend = 'http://home.lan:3000/' }
        @{ Case = 'a multicast backend'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = $null; Backend = 'http://224.0.0.251/' }
        @{ Case = 'an IPv4-mapped loopback backend'; Id = 'ApacheOpenProxy:ProxyPass'; Inside = $null; Backend = 'http://[::ffff:127.0.0.1]:8080/' }
    ) {
        $b = if ($Backend) { $Backend } else { 'http://192.168.4.2:3000/' }
        $e = Get-ErrorRecord { ConvertFrom-Inside ($(if ($Inside) { $Inside } else { '' })) $b }
        $e.FullyQualifiedErrorId | Should -BeLike "$Id*"
        # A scheme the parser cannot read as a backend is refused before the policy, as bad input.
        $e.CategoryInfo.Category | Should -Be $(if ($Id -eq 'BackendSchemeNotSupported') { 'InvalidArgument' } else { 'SecurityError' })
    }

    It 'takes the forms that stay on the site''s backend' {
        (ConvertFrom-Inside "    <Location /api>`n        ProxyPass http://192.168.4.2:4000/api`n    </Location>").ServerName | Should -Be 'a.example.test'
        (ConvertFrom-Inside "    <Location /static>`n        ProxyPass !`n    </Location>").ServerName | Should -Be 'a.example.test'
    }

    It 'refuses, on the relay, a backend no WireGuard peer of the relay carries, whatever -Force says' {
        $facts = Read-AgentFacts 'apache-facts-new' ApacheFacts
        $outside = New-ApacheProxySite -ServerName other.example.test -Backend http://203.0.113.9:80/
        $plan = [HomeTunnel.Hosts.ApachePlanner]::Plan($facts, [HomeTunnel.Apache.ApacheProxySite[]]@($outside), $false, $true, $null)
        $plan.ErrorId | Should -Be 'BackendNotATunnelPeer'
        $plan.Target | Should -Be 'http://203.0.113.9:80/'
        $inside = $homePeer | New-ApacheProxySite -ServerName other.example.test -Port 8080
        ([HomeTunnel.Hosts.ApachePlanner]::Plan($facts, [HomeTunnel.Apache.ApacheProxySite[]]@($inside), $false, $false, $null)).ErrorId | Should -BeNullOrEmpty
        # A relay with no tunnel yet takes the site when the same command installs the peer first (Publish-HomeService).
        $facts = Read-AgentFacts 'apache-facts-new' ApacheFacts { param($f) $f.Tunnel = @{ WgListen = ''; WgAllowed = ''; WgFiles = @{} } }
        ([HomeTunnel.Hosts.ApachePlanner]::Plan($facts, [HomeTunnel.Apache.ApacheProxySite[]]@($inside), $false, $false, $null)).ErrorId | Should -Be 'BackendNotATunnelPeer'
        $planned = [HomeTunnel.Forwards.PlannedRelay]::new('wg0', [HomeTunnel.Forwards.RelayPortUse[]]@(), [HomeTunnel.TunnelAddress[]]@([HomeTunnel.TunnelAddress]::Parse('192.168.4.2/32')))
        ([HomeTunnel.Hosts.ApachePlanner]::Plan($facts, [HomeTunnel.Apache.ApacheProxySite[]]@($inside), $false, $false, $planned)).ErrorId | Should -BeNullOrEmpty
        # Uninstalling needs no tunnel.
        ([HomeTunnel.Hosts.ApachePlanner]::Plan($facts, [HomeTunnel.Apache.ApacheProxySite[]]@($outside), $true, $false, $null)).ErrorId | Should -Not -Be 'BackendNotATunnelPeer'
    }

    It 'holds a typed site to the same rule: <Backend>' -ForEach @(
        @{ Backend = 'http://127.0.0.1:8080/' }, @{ Backend = 'http://localhost:8080/' }, @{ Backend = 'http://home.lan:3000/' }
        @{ Backend = 'http://169.254.169.254/' }, @{ Backend = 'http://[::1]:9000/' }, @{ Backend = 'http://[fe80::1]:80/' }, @{ Backend = 'http://0.0.0.0:80/' }
    ) {
        $e = Get-ErrorRecord { New-ApacheProxySite -ServerName a.example.test -Backend $Backend }
        Assert-HomeTunnelError $e 'BackendNotInTunnel' 'SecurityError'
        $e.TargetObject | Should -Not -BeNullOrEmpty
    }

    It 'refuses a ServerName that is the distribution''s own site file: <Name>' -ForEach @(@{ Name = '000-default' }, @{ Name = 'default-ssl' }, @{ Name = 'DEFAULT-SSL' }) {
        Assert-HomeTunnelError (Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName $Name -Port 3000 }) 'ServerNameReserved' 'InvalidArgument'
        (Get-ErrorRecord { ConvertFrom-ApacheProxySite "<VirtualHost *:80>`nServerName $Name`nProxyPass / http://192.168.4.2:3000/`n</VirtualHost>" }).FullyQualifiedErrorId | Should -BeLike 'ServerNameReserved*'
    }
}

Describe 'Doors that are doors' {
    It 'refuses -AllowFrom <List> without -AllowEveryone' -ForEach @(
        @{ List = @('0.0.0.0/0') }, @{ List = @('::/0') }, @{ List = @('0.0.0.0/1', '128.0.0.0/1') }, @{ List = @('10.0.0.0/8', '0.0.0.0/0') }
    ) {
        $e = Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -AllowFrom $List }
        Assert-HomeTunnelError $e 'AllowFromEveryone' 'InvalidArgument'
        ($homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -AllowFrom $List -AllowEveryone).AllowFrom | Should -Not -BeNullOrEmpty
    }

    It 'takes a list that leaves someone out' {
        ($homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -AllowFrom 0.0.0.0/1, 192.168.1.0/24).AllowFrom | Should -Be @('0.0.0.0/1', '192.168.1.0/24')
    }

    It 'writes an IPv4-mapped network as the IPv4 network it maps, and refuses one wider than the mapped range' {
        ($homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -AllowFrom '::ffff:192.0.2.0/120').AllowFrom | Should -Be @('192.0.2.0/24')
        Assert-HomeTunnelError (Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -AllowFrom '::ffff:0.0.0.0/90' }) 'AllowFromMappedInvalid' 'InvalidArgument'
    }
}
