# ---------------------------------------------------------------- NAT idle timeout (Measure-TunnelNat)

function Invoke-NatProbeRelay($Req) {
    # The relay's half: one UDP port per idle time. A home datagram is answered at once (the flow is two-way, as
    # WireGuard's is), then, after its idle time, three late datagrams go to the address it came from: the home half
    # hears them only if the NATs in between still hold the mapping.
    $probes = @(for ($i = 0; $i -lt @($Req.Ports).Count; $i++) {
            $client = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Any, [int]@($Req.Ports)[$i]))
            [pscustomobject]@{ Port = [int]@($Req.Ports)[$i]; Idle = [int]@($Req.Idle)[$i]; Client = $client; From = $null; Due = $null; Sent = $false }
        })
    try {
        $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.ListenSeconds + [System.Linq.Enumerable]::Max([int[]](@($Req.Idle) + 0)))
        while ([DateTime]::UtcNow -lt $deadline -and @($probes | Where-Object { -not $_.Sent }).Count) {
            foreach ($p in $probes) {
                while ($p.Client.Available -gt 0) {
                    $from = [System.Net.IPEndPoint]::new([System.Net.IPAddress]::Any, 0)
                    $null = $p.Client.Receive([ref]$from)
                    if (-not $p.From) { $p.From = $from; $p.Due = [DateTime]::UtcNow.AddSeconds($p.Idle) }
                    $null = $p.Client.Send([byte[]](97, 99, 107), 3, $from)
                }
                if ($p.Due -and -not $p.Sent -and [DateTime]::UtcNow -ge $p.Due) {
                    for ($k = 0; $k -lt 3; $k++) { $null = $p.Client.Send([byte[]](108, 97, 116, 101), 4, $p.From) }
                    $p.Sent = $true
                }
            }
            [System.Threading.Thread]::Sleep(20)
        }
    }
    finally { foreach ($p in $probes) { $p.Client.Dispose() } }
    @{ State = 'Read'; Nat = @($probes | ForEach-Object { @{ Port = $_.Port; Idle = $_.Idle; Heard = [bool]$_.From; Sent = [bool]$_.Sent; Acked = $null; Late = $null } }) }
}

function Invoke-NatProbeHome($Req) {
    # The home half: a datagram to each of the relay's probe ports (again each second until answered), then silence,
    # then whether the relay's late datagrams arrive.
    $relay = [System.Net.IPAddress]::Parse([string]$Req.RelayAddress)
    $probes = @(for ($i = 0; $i -lt @($Req.Ports).Count; $i++) {
            $client = [System.Net.Sockets.UdpClient]::new(0)
            [pscustomobject]@{ To = [System.Net.IPEndPoint]::new($relay, [int]@($Req.Ports)[$i]); Idle = [int]@($Req.Idle)[$i]; Client = $client; Acked = $null; Hello = [DateTime]::MinValue; Late = $false; Done = $false }
        })
    try {
        $listen = [int]$Req.ListenSeconds
        $deadline = [DateTime]::UtcNow.AddSeconds($listen + [System.Linq.Enumerable]::Max([int[]](@($Req.Idle) + 0)) + 5)
        while ([DateTime]::UtcNow -lt $deadline -and @($probes | Where-Object { -not $_.Done }).Count) {
            $now = [DateTime]::UtcNow
            foreach ($p in $probes | Where-Object { -not $_.Done }) {
                if (-not $p.Acked -and $now -ge $p.Hello.AddSeconds(1)) { $null = $p.Client.Send([byte[]](104, 105), 2, $p.To); $p.Hello = $now }
                while ($p.Client.Available -gt 0) {
                    $from = [System.Net.IPEndPoint]::new([System.Net.IPAddress]::Any, 0)
                    $data = $p.Client.Receive([ref]$from)
                    if (-not $from.Address.Equals($relay)) { continue }
                    if ($data.Length -eq 3 -and -not $p.Acked) { $p.Acked = $now }
                    elseif ($data.Length -eq 4) { $p.Late = $true; $p.Done = $true }
                }
                # Unanswered for the listen time, or the late datagrams overdue by 5 s: this probe is over.
                if (-not $p.Acked -and $p.Hello -ne [DateTime]::MinValue -and $now -ge $deadline.AddSeconds(-($p.Idle + 5))) { $p.Done = $true }
                if ($p.Acked -and $now -ge $p.Acked.AddSeconds($p.Idle + 5)) { $p.Done = $true }
            }
            [System.Threading.Thread]::Sleep(20)
        }
    }
    finally { foreach ($p in $probes) { $p.Client.Dispose() } }
    @{ State = 'Read'; Nat = @($probes | ForEach-Object { @{ Port = $_.To.Port; Idle = $_.Idle; Heard = $null; Sent = $null; Acked = [bool]$_.Acked; Late = [bool]$_.Late } }) }
}

