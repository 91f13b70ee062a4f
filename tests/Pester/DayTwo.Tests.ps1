# Day two, offline: the NAT timeout's and the MTU's verdicts from the probe halves' answers, and a key rotation's config edit.
# On the real lab: DayTwo.Lab.Tests.ps1.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    function New-Answers([int[]] $Idle, [int[]] $Lost = @(), [int[]] $Unheard = @()) {
        # Each half as its answer crosses, held to the NatProbe contract.
        $relay = @{ Version = 3; State = 'Read'; Nat = @($Idle | ForEach-Object { @{ Port = 51900 + $_; Idle = $_; Heard = ($_ -notin $Unheard); Sent = ($_ -notin $Unheard); Acked = $null; Late = $null } }) }
        $homeHalf = @{ Version = 3; State = 'Read'; Nat = @($Idle | ForEach-Object { @{ Port = 51900 + $_; Idle = $_; Heard = $null; Sent = $null; Acked = ($_ -notin $Unheard); Late = ($_ -notin $Lost) } }) }
        , (ConvertTo-AgentFacts NatProbe $relay).Nat
        , (ConvertTo-AgentFacts NatProbe $homeHalf).Nat
    }
}

Describe 'The NAT timeout''s verdict' {
    It '<Case>' -TestCases @(
        @{ Case = 'every probe survived: pass, the default keepalive'; Lost = @(); Unheard = @(); Keepalive = 25; Status = 'Pass'; Survived = 60; First = $null; Recommended = 25 }
        @{ Case = 'a 20 s timeout under a 25 s keepalive: warn, a shorter one'; Lost = @(20, 25, 30, 35, 40, 45, 50, 55, 60); Unheard = @(); Keepalive = 25; Status = 'Warn'; Survived = 15; First = 20; Recommended = 12 }
        @{ Case = 'a keepalive under the survived silence: pass'; Lost = @(20, 25, 30, 35, 40, 45, 50, 55, 60); Unheard = @(); Keepalive = 10; Status = 'Pass'; Survived = 15; First = 20; Recommended = 12 }
        @{ Case = 'no keepalive and a timeout: warn'; Lost = @(45, 50, 55, 60); Unheard = @(); Keepalive = $null; Status = 'Warn'; Survived = 40; First = 45; Recommended = 25 }
        @{ Case = 'a probe the relay never heard does not count'; Lost = @(); Unheard = @(60); Keepalive = 25; Status = 'Pass'; Survived = 55; First = $null; Recommended = 25 }
        @{ Case = 'a lone late survivor above the first loss does not count'; Lost = @(10, 15, 20, 25, 30, 35, 40, 45, 50); Unheard = @(); Keepalive = 25; Status = 'Warn'; Survived = 5; First = 10; Recommended = 4 }
    ) {
        $relay, $homeHalf = New-Answers @(5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60) $Lost $Unheard
        $r = [HomeTunnel.Probes.TunnelNatTimeout]::Judge('203.0.113.1', $relay, $homeHalf, $Keepalive)
        $r.Status | Should -Be $Status
        $r.IdleSurvivedSeconds | Should -Be $Survived
        $r.IdleLostSeconds | Should -Be $First
        $r.RecommendedKeepalive | Should -Be $Recommended
        if ($Status -eq 'Warn') { $r.Detail | Should -Match "set PersistentKeepalive = $Recommended" }
    }

    It 'fails, naming the closed ports, when no probe came back' {
        $relay, $homeHalf = New-Answers @(5, 10) @() @(5, 10)
        $r = [HomeTunnel.Probes.TunnelNatTimeout]::Judge('203.0.113.1', $relay, $homeHalf, 25)
        $r.Status | Should -Be 'Fail'
        $r.Detail | Should -Match 'probe ports are closed'
        [HomeTunnel.Probes.TunnelNatTimeout]::Judge('203.0.113.1', $null, $null, 25).Status | Should -Be 'Fail'
    }
}

Describe 'A keepalive against a measured NAT timeout' {
    It 'a keepalive of <Keepalive> s against <Idle> s fits: <Fits>; the advice is <Advice> s' -TestCases @(
        @{ Keepalive = 25; Idle = 20; Fits = $false; Advice = 16 }
        @{ Keepalive = 16; Idle = 20; Fits = $true; Advice = 16 }
        @{ Keepalive = 20; Idle = 20; Fits = $true; Advice = 16 }
        @{ Keepalive = $null; Idle = 300; Fits = $false; Advice = 25 }
        @{ Keepalive = 1; Idle = 2; Fits = $true; Advice = 1 }
    ) {
        [HomeTunnel.Probes.TunnelNatTimeout]::KeepaliveFits($Keepalive, $Idle) | Should -Be $Fits
        [HomeTunnel.Probes.TunnelNatTimeout]::RecommendFor($Idle) | Should -Be $Advice
    }

    It 'is a parameter a scheduled check may fix, range-checked' {
        [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckParameters(@{ NatTimeoutSeconds = 20 })['NatTimeoutSeconds'] | Should -Be 20
        $e = { Test-TunnelPath example.test -RelayHostName 127.0.0.1 -NatTimeoutSeconds 1 } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
    }
}

Describe 'A key rotation''s edit of a config as the host has it' {
    BeforeAll {
        $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint relay.example.test
        $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PresharedKey
        $laptop = New-TunnelPeer -Name laptop -Role Home -Address 192.168.4.9/32
        $psk = [HomeTunnel.WireGuard.WireGuardPresharedKey]::Generate()
        $newKey = [HomeTunnel.WireGuard.WireGuardPrivateKey]::Generate()
    }

    It 'changes the rotated peer''s key and preshared key on the relay, and nothing of another peer' {
        $config = New-WireGuardConfig -For $relayPeer -Peer $homePeer, $laptop
        $edited = $config.WithRotatedKey($homePeer.PublicKey, $newKey.PublicKey, $null, $psk)
        $edited.Peers.PublicKey | Should -Be @($newKey.PublicKey, $laptop.PublicKey)
        $edited.Peers[0].PresharedKey.RevealBase64() | Should -Be $psk.RevealBase64()
        $edited.Peers[0].AllowedIPs | Should -Be $config.Peers[0].AllowedIPs
        $edited.Peers[1].PresharedKey | Should -Be $config.Peers[1].PresharedKey
        $edited.PrivateKey.RevealBase64() | Should -Be $relayPeer.PrivateKey.RevealBase64()
        $edited.RevealText().Replace($newKey.PublicKey, $homePeer.PublicKey).Replace($psk.RevealBase64(), $homePeer.PresharedKey.RevealBase64()) | Should -BeExactly $config.RevealText()
    }

    It 'changes the home''s private key and the relay peer''s preshared key at home, the rest byte for byte' {
        $config = New-WireGuardConfig -For $homePeer -Peer $relayPeer
        $edited = $config.WithRotatedKey($relayPeer.PublicKey, $null, $newKey, $psk)
        $edited.PublicKey | Should -Be $newKey.PublicKey
        $edited.Peers[0].PublicKey | Should -Be $relayPeer.PublicKey
        $edited.Peers[0].Endpoint | Should -Be 'relay.example.test:51820'
        $edited.RevealText().Replace($newKey.RevealBase64(), $homePeer.PrivateKey.RevealBase64()).Replace($psk.RevealBase64(), $homePeer.PresharedKey.RevealBase64()) | Should -BeExactly $config.RevealText()
        $edited.Text | Should -Not -Match ([regex]::Escape($newKey.RevealBase64()))
    }
}

Describe 'The MTU''s verdict' {
    BeforeAll {
        function New-Mtu([int] $Path, [int] $Up, [int] $Down, [int] $If) {
            (ConvertTo-AgentFacts MtuProbe @{ Version = 3; State = 'Read'; Mtu = @{ Found = @{ Path = $Path; Tunnel = $Up }; InterfaceMtu = $If } }).Mtu
            (ConvertTo-AgentFacts MtuProbe @{ Version = 3; State = 'Read'; Mtu = @{ Found = @{ Tunnel = $Down }; InterfaceMtu = $If } }).Mtu
        }
    }

    It '<Case>' -TestCases @(
        @{ Case = 'a 1500-byte path under a 1420 tunnel: pass'; Path = 1500; Up = 1420; Down = 1420; If = 1420; Status = 'Pass'; Recommended = 1440 }
        @{ Case = 'PPPoE (1412) under a 1420 tunnel: warn, 1352'; Path = 1412; Up = 1420; Down = 1420; If = 1420; Status = 'Warn'; Recommended = 1352 }
        @{ Case = 'PPPoE under a tunnel already at 1352: pass'; Path = 1412; Up = 1352; Down = 1352; If = 1352; Status = 'Pass'; Recommended = 1352 }
        @{ Case = 'no ping through the tunnel: fail'; Path = 1500; Up = 0; Down = 1420; If = 1420; Status = 'Fail'; Recommended = 1440 }
        @{ Case = 'nothing reached the relay: fail'; Path = 0; Up = 0; Down = 0; If = 1420; Status = 'Fail'; Recommended = 0 }
    ) {
        $homeHalf, $relayHalf = New-Mtu $Path $Up $Down $If
        $r = [HomeTunnel.Probes.TunnelMtu]::Judge('203.0.113.1', $homeHalf, $relayHalf)
        $r.Status | Should -Be $Status
        $r.RecommendedMtu | Should -Be $Recommended
        $r.PathMtu | Should -Be $Path
        if ($Status -eq 'Warn') { $r.Detail | Should -Match "Set MTU = $Recommended" }
    }
}
