# Port forwards offline: the object, the nftables text it becomes, and how the planner decides from a relay's facts.
# On a real relay: Forward.Lab.Tests.ps1 (and across reboots: Systemd.Lab.Tests.ps1).
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test
    function New-Facts([hashtable] $Files = @{}, [string[]] $Existing = @(), [string[]] $Live = @(), [bool] $Loaded = $false, [string] $IpForward = '0', [bool] $Systemd = $false, [bool] $Enabled = $false, [bool] $Nft = $true) {
        ConvertTo-AgentFacts NftTableFacts @{ Nft = $Nft; Files = $Files; Existing = $Existing; Live = $Live; TableLoaded = $Loaded; IpForward = $IpForward; Systemd = $Systemd; UnitEnabled = $Enabled; Relay = $null }
    }
    function Get-Plan($Facts, $Forwards, [switch] $Uninstall, [switch] $Force) {
        $list = [HomeTunnel.Forwards.INftRuleFile[]]@($Forwards)
        [HomeTunnel.Forwards.NftTablePlanner]::Plan($Facts, [HomeTunnel.Forwards.NftTable]::Forwards, $list, [HomeTunnel.Forwards.TunnelPortForward]::TableText(), [bool]$Uninstall, [bool]$Force, $null)
    }
    $tcp = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22
    $dir = [HomeTunnel.Forwards.TunnelPortForward]::Folder
    $tablePath = [HomeTunnel.Forwards.TunnelPortForward]::TablePath
    $unitPath = [HomeTunnel.Forwards.NftTable]::Forwards.UnitPath
}

Describe 'New-TunnelPortForward' {
    It 'makes a forward from a home peer, as the nftables rules it becomes' {
        $tcp.Key | Should -Be 'tcp-2222'
        $tcp.Address.ToString() | Should -Be '192.168.4.2'
        $tcp.Text | Should -BeExactly ("# Managed by HomeTunnel`n# tcp 2222 on the relay -> 192.168.4.2:22 (home) through wg0`n" +
            "add element ip hometunnel tunnels { `"wg0`" }`n" +
            "add rule ip hometunnel prerouting iifname != `"wg0`" tcp dport 2222 dnat to 192.168.4.2:22 comment `"hometunnel tcp-2222 home`"`n" +
            "add rule ip hometunnel postrouting oifname `"wg0`" ip daddr 192.168.4.2 tcp dport 22 ct status dnat masquerade comment `"hometunnel tcp-2222 home`"`n")
    }

    It 'forwards a range port for port' {
        $f = New-TunnelPortForward -Address 192.168.4.2 -Protocol Udp -PublicPort 27015-27030
        $f.Key | Should -Be 'udp-27015-27030'
        $f.HomePorts | Should -Be '27015-27030'
        $f.Text | Should -Match 'udp dport 27015-27030 dnat to 192\.168\.4\.2 comment'
    }

    It 'refuses <Name>' -ForEach @(
        @{ Name = 'the relay peer'; Block = { $relayPeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 }; Id = 'RoleMismatch'; Target = 'relay' }
        @{ Name = 'port 0'; Block = { $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 0 }; Id = 'PublicPortInvalid'; Target = '0' }
        @{ Name = 'a port past 65535'; Block = { $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 70000 }; Id = 'PublicPortInvalid'; Target = '70000' }
        @{ Name = 'a range high to low'; Block = { $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 3000-2000 }; Id = 'PublicPortInvalid'; Target = '3000-2000' }
        @{ Name = 'a range too wide'; Block = { $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 1000-5000 }; Id = 'PublicPortInvalid'; Target = '1000-5000' }
        @{ Name = 'text spliced into the port'; Block = { $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort '22 accept; flush ruleset' }; Id = 'PublicPortInvalid'; Target = '22 accept; flush ruleset' }
        @{ Name = 'ranges of different sizes'; Block = { $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 5000-5010 -Port 6000-6005 }; Id = 'ForwardRangeMismatch'; Target = '6000-6005' }
        @{ Name = 'a shifted range'; Block = { $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 5000-5010 -Port 6000-6010 }; Id = 'ForwardRangeShifted'; Target = '6000-6010' }
        @{ Name = 'a loopback address'; Block = { New-TunnelPortForward -Address 127.0.0.1 -Protocol Tcp -PublicPort 80 }; Id = 'ForwardAddressInvalid'; Target = '127.0.0.1' }
        @{ Name = 'an interface name with a quote'; Block = { $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 80 -InterfaceName 'wg0" accept' }; Id = 'InterfaceName*'; Target = $null }
    ) {
        $e = Get-ErrorRecord $Block
        $e.FullyQualifiedErrorId | Should -BeLike "$Id*"
        if ($Target) { "$($e.TargetObject)" | Should -Be $Target }
    }

    It 'refuses the same public port twice in one install, before any host' {
        $e = Get-ErrorRecord { $tcp, ($homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2000-2300) | Install-TunnelPortForward -WhatIf }
        Assert-HomeTunnelError $e 'DuplicateForward' 'InvalidArgument' 2222
    }
}

Describe 'The forward planner' {
    It 'writes the forward, the table and (on systemd) the unit, loads the table and turns forwarding on' {
        $plan = Get-Plan (New-Facts -Systemd $true) $tcp
        $plan.Changed | Should -BeTrue
        @($plan.Plan.Writes.Keys | Sort-Object) | Should -Be @($tablePath, "$dir/tcp-2222.nft", $unitPath | Sort-Object)
        $plan.Plan.Reload | Should -BeTrue
        $plan.Plan.IpForward | Should -BeTrue
        $plan.Plan.EnableUnit | Should -BeTrue
    }

    It 'is Unchanged when the files, the live table, forwarding and the unit all match' {
        $files = @{ "$dir/tcp-2222.nft" = $tcp.Text; $tablePath = [HomeTunnel.Forwards.TunnelPortForward]::TableText(); $unitPath = [HomeTunnel.Forwards.NftTable]::Forwards.Unit }
        (Get-Plan (New-Facts $files -Existing 'tcp-2222' -Live 'tcp-2222' -Loaded $true -IpForward '1' -Systemd $true -Enabled $true) $tcp).Changed | Should -BeFalse
    }

    It 'is changed when <Name>, and only reloads' -ForEach @(
        @{ Name = 'the table is gone'; Facts = @{ Loaded = $false; Live = @() } }
        @{ Name = 'the table lacks the forward'; Facts = @{ Loaded = $true; Live = @() } }
        @{ Name = 'forwarding is off'; Facts = @{ IpForward = '0' } }
    ) {
        $files = @{ "$dir/tcp-2222.nft" = $tcp.Text; $tablePath = [HomeTunnel.Forwards.TunnelPortForward]::TableText() }
        $f = @{ Files = $files; Existing = @('tcp-2222'); Live = @('tcp-2222'); Loaded = $true; IpForward = '1' }
        foreach ($k in $Facts.Keys) { $f[$k] = $Facts[$k] }
        $plan = Get-Plan (New-Facts @f) $tcp
        $plan.Changed | Should -BeTrue
        $plan.Plan.Writes.Count | Should -Be 0
        $plan.Plan.Reload | Should -BeTrue
    }

    It 'never replaces a file it did not write, unless forced' {
        $files = @{ "$dir/tcp-2222.nft" = "add rule ip hometunnel prerouting tcp dport 2222 accept`n" }
        (Get-Plan (New-Facts $files -Existing 'tcp-2222') $tcp).ErrorId | Should -Be 'NotOwnedByHomeTunnel'
        (Get-Plan (New-Facts $files -Existing 'tcp-2222') $tcp -Force).Changed | Should -BeTrue
    }

    It 'keeps the other forwards on an uninstall, and drops the table with the last' {
        $files = @{ "$dir/tcp-2222.nft" = $tcp.Text; $tablePath = [HomeTunnel.Forwards.TunnelPortForward]::TableText() }
        $keep = Get-Plan (New-Facts $files -Existing 'tcp-2222', 'udp-53' -Live 'tcp-2222', 'udp-53' -Loaded $true -IpForward '1') $tcp -Uninstall
        $keep.Plan.Removes | Should -Be @("$dir/tcp-2222.nft")
        $keep.Plan.Reload | Should -BeTrue
        $keep.Plan.DropTable | Should -BeFalse
        $last = Get-Plan (New-Facts $files -Existing 'tcp-2222' -Live 'tcp-2222' -Loaded $true -IpForward '1') $tcp -Uninstall
        $last.Plan.DropTable | Should -BeTrue
        $last.Plan.Removes | Should -Contain $tablePath
        $last.Plan.Reload | Should -BeFalse
    }

    It 'refuses a relay without nft' {
        $facts = New-Facts -Nft $false
        (Get-Plan $facts $tcp).ErrorId | Should -Be 'NftNotInstalled'
    }
}
