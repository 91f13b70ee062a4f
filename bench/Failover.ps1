# One service through two relays against one relay, on the lab's real hosts: the visitor's requests (one a second,
# curl, 4 s each at most) while one relay is dead, and the time to add a second relay to a running service against
# the first publish. The zone is the lab's bind9, written by HomeTunnel over RFC 2136.
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Seconds = 20)
$ErrorActionPreference = 'Stop'
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

$lab = Start-Lab -Prefix htfob -Index 2 -SecondRelay
try {
    $a = $lab.Addresses
    $zone = Start-LabBind $lab
    $key = [pscredential]::new($zone.KeyName, (ConvertTo-SecureString $zone.Secret -AsPlainText -Force))
    $vps = New-LabSession $lab relay; $vps2 = New-LabSession $lab relay2; $box = New-LabSession $lab home
    $name = 'app.ha.example.test'
    $peers = Join-Path $lab.Directory 'peers.json'
    $publish = @{ ServerName = $name; Port = 3000; HomeSession = $box; PeerFile = $peers; DnsServer = $zone.Server; DnsKey = $key }
    function Measure-Outage {
        $failed = 0
        $clock = [Diagnostics.Stopwatch]::StartNew()
        for ($i = 0; $i -lt $Seconds; $i++) {
            $next = $clock.Elapsed.TotalSeconds + 1
            if ((Invoke-LabHttp $lab "http://$name/" -CurlArgument '--max-time', '4').Status -ne '200') { $failed++ }
            $wait = $next - $clock.Elapsed.TotalSeconds
            if ($wait -gt 0) { Start-Sleep -Milliseconds ([int]($wait * 1000)) }
        }
        $failed
    }
    # One relay: published, then dead.
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $null = Publish-HomeService @publish -RelaySession $vps
    $firstMs = $clock.Elapsed.TotalMilliseconds
    Set-LabBlackhole $lab relay -Traffic All
    $single = Measure-Outage
    Set-LabBlackhole $lab relay -Off
    Wait-LabCondition { (Invoke-LabHttp $lab "http://$name/").Status -eq '200' } 'the relay back' 60
    # A second relay added to the running service: the first relay's steps are Unchanged.
    $clock.Restart()
    $null = Publish-HomeService @publish -RelaySession $vps, $vps2
    $addMs = $clock.Elapsed.TotalMilliseconds
    Set-LabBlackhole $lab relay -Traffic All
    $both = Measure-Outage
    $null = Remove-TunnelDnsRecord $name $a.Relay -DnsServer $zone.Server -DnsKey $key -Confirm:$false
    $withdrawn = Measure-Outage
    Set-LabBlackhole $lab relay -Off

    New-BenchRow -Figure '11a. One relay dead: requests without a 200 (of one a second)' -HomeTunnelMs ($both * 1000) -Alternative 'the same service through one relay' -AlternativeMs ($single * 1000) `
        -Target 'fewer than one relay (< 1.0×)' -Met ($both -lt $single) -Note "$both of $Seconds requests failed with both records published, $single of $Seconds with one relay; $withdrawn of $Seconds once the dead relay's record was withdrawn (ms = failed requests × 1 s)"
    New-BenchRow -Figure '11b. Adding a second relay to a running service' -HomeTunnelMs $addMs -Alternative 'publishing the service through its first relay' -AlternativeMs $firstMs `
        -Target 'report' -Met $true -Note 'Publish-HomeService -RelaySession $a, $b on a service that $a already serves: $a''s steps Unchanged, $b''s made, the zone set to both'
}
finally {
    Get-PSSession | Remove-PSSession
    Stop-Lab $lab
}
