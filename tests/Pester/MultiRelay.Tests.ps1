# Where the second and later relays of one service live on the home machine (Publish-HomeService -RelaySession $a, $b):
# each its own interface, subnet and peer file, derived from the first's. With the real relays: TwoRelays.Lab.Tests.ps1.
BeforeAll { . $PSScriptRoot/Common.ps1 }

Describe 'Each relay its own interface, subnet and peer file' {
    It 'names the <Index>th interface after <First> as <Expected>' -TestCases @(
        @{ First = 'wg0'; Index = 1; Expected = 'wg1' }
        @{ First = 'wg0'; Index = 2; Expected = 'wg2' }
        @{ First = 'wg9'; Index = 1; Expected = 'wg10' }
        @{ First = 'home'; Index = 1; Expected = 'home1' }
    ) {
        [HomeTunnel.WireGuard.MultiRelay]::Interface($First, $Index) | Should -Be $Expected
    }

    It 'gives the <Index>th relay after <First> the subnet <Expected>' -TestCases @(
        @{ First = '192.168.4.1/24'; Index = 1; Expected = '192.168.5.1/24' }
        @{ First = '192.168.4.1/24'; Index = 3; Expected = '192.168.7.1/24' }
        @{ First = '10.9.0.1/30'; Index = 2; Expected = '10.9.0.9/30' }
        @{ First = '10.0.0.1/16'; Index = 1; Expected = '10.1.0.1/16' }
    ) {
        [HomeTunnel.WireGuard.MultiRelay]::Subnet($First, $Index) | Should -Be $Expected
    }

    It 'refuses <Case>' -TestCases @(
        @{ Case = 'a subnet with no room after it in its /8'; First = '192.255.255.1/24' }
        @{ Case = 'an IPv6 subnet'; First = 'fd00:4::1/64' }
        @{ Case = 'a single address'; First = '192.168.4.1/32' }
    ) {
        $e = Get-ErrorRecord { [HomeTunnel.WireGuard.MultiRelay]::Subnet($First, 1) }
        $e.Exception.InnerException.ErrorId | Should -Be 'RelayTunnelAddressNotShiftable'
        $e.Exception.InnerException.Target | Should -Be $First
    }

    It 'puts the second relay''s peers beside the first''s, named by the relay' {
        [HomeTunnel.WireGuard.MultiRelay]::PeerFile('/home/u/peers.json', '203.0.113.7') | Should -Be '/home/u/peers.203.0.113.7.json'
        [HomeTunnel.WireGuard.MultiRelay]::PeerFile('/home/u/relay', 'vps2.example.net') | Should -Be '/home/u/relay.vps2.example.net.json'
        [HomeTunnel.WireGuard.MultiRelay]::PeerFile('/home/u/p.json', 'a/../b') | Should -Be '/home/u/p.a_.._b.json'
    }
}
