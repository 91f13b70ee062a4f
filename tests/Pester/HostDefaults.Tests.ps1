# No silent defaults: a cmdlet that works on hosts never picks this machine by itself.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    $config = New-WireGuardConfig -For $homePeer -Peer $relay
    $site = $homePeer | New-ApacheProxySite -ServerName site.example.test -Port 3000
    $forward = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22
}

Describe 'A host cmdlet needs -Session or -Local' {
    It '<Name> without either stops with HostRequired, before anything is read' -ForEach @(
        @{ Name = 'Install-WireGuardConfig'; Run = { $config | Install-WireGuardConfig } }
        @{ Name = 'Uninstall-WireGuardConfig'; Run = { Uninstall-WireGuardConfig -Confirm:$false } }
        @{ Name = 'Install-ApacheProxySite'; Run = { $site | Install-ApacheProxySite } }
        @{ Name = 'Uninstall-ApacheProxySite'; Run = { Uninstall-ApacheProxySite site.example.test -Confirm:$false } }
        @{ Name = 'Install-TunnelPortForward'; Run = { $forward | Install-TunnelPortForward } }
        @{ Name = 'Uninstall-TunnelPortForward'; Run = { Uninstall-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Confirm:$false } }
        @{ Name = 'Get-TunnelStatus'; Run = { Get-TunnelStatus } }
    ) {
        $e = Get-ErrorRecord $Run
        Assert-HomeTunnelError $e 'HostRequired' 'InvalidArgument' 'Session'
        $e.Exception.Message | Should -Match '-Local'
        $e.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'takes -Local as this machine (here with -WhatIf: nothing changes)' {
        $site | Install-ApacheProxySite -Local -WhatIf -ErrorAction SilentlyContinue -ErrorVariable e
        @($e | Where-Object { $_.FullyQualifiedErrorId -like 'Host*,*' -and $_.FullyQualifiedErrorId -match '^Host(Required|Conflict)' }) | Should -BeNullOrEmpty
    }
}
