# The seed setup on a fresh lab, for the Lab test files. Dot-source it in BeforeAll:
#   . $PSScriptRoot/LabSeed.ps1 -Prefix htxyz -Index 3 [-Install]
# It defines $lab, $a (addresses), $vps and $box (sessions over SSH), $relayPeer, $homePeer,
# $relayConfig, $homeConfig and $site; with -Install, both WireGuard ends and the site are installed
# and the site answers through the tunnel.
param([Parameter(Mandatory)] [string] $Prefix, [Parameter(Mandatory)] [int] $Index, [switch] $Install)

. $PSScriptRoot/Common.ps1
Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
$lab = Start-Lab -Prefix $Prefix -Index $Index
$a = $lab.Addresses
$vps = New-LabSession $lab relay
$box = New-LabSession $lab home
$relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $a.Relay
$homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
$relayConfig = New-WireGuardConfig -For $relayPeer -Peer $homePeer
$homeConfig = New-WireGuardConfig -For $homePeer -Peer $relayPeer
$site = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000
if ($Install) {
    $null = $relayConfig | Install-WireGuardConfig -Session $vps
    $null = $homeConfig | Install-WireGuardConfig -Session $box
    $null = $site | Install-ApacheProxySite -Session $vps
    # The home config's install fenced the tunnel: the site's port is opened to the relay, as the README's route does.
    $null = $site | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1
    Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site through the tunnel' 20
}
