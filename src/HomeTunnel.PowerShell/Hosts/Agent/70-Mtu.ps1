# ---------------------------------------------------------------- MTU (Measure-TunnelMtu)

function Test-DfPing([string] $Address, [int] $Size) {
    # One ICMP echo of $Size bytes on the wire (IPv4: 28 of headers) that no router may fragment: 'ok'; 'big:<mtu>'
    # when a router or this host said it is too big and for which MTU ('big' without one); 'lost' with no answer in 1 s.
    $r = Invoke-Native ping @('-n', '-M', 'do', '-s', "$($Size - 28)", '-c', '1', '-W', '1', $Address) -AllowFailure
    if ($r.ExitCode -eq 0) { return 'ok' }
    $said = "$($r.Out)$($r.Err)"
    if ($said -match '(?i)mtu ?= ?([0-9]{3,5})') { return "big:$($Matches[1])" }
    if ($said -match '(?i)frag needed|message too long') { return 'big' }
    'lost'
}

function Find-LargestPacket([string] $Address, [int] $Low, [int] $High) {
    # The largest packet (bytes on the wire) that crosses to $Address whole, between $Low and $High; 0 when not even
    # $Low does. The full size first; an MTU a router names is tried next, else bisection. A lost echo is asked once
    # more, so one drop does not read as a smaller MTU.
    $ok = $Low - 1; $fails = $High + 1; $next = $High
    while ($fails - $ok -gt 1) {
        $n = if ($next) { $next } else { [int][Math]::Floor(($ok + $fails) / 2) }
        $next = $null
        $r = Test-DfPing $Address $n
        if ($r -eq 'lost') { $r = Test-DfPing $Address $n }
        if ($r -eq 'ok') { $ok = $n; continue }
        $fails = $n
        if ($r -match '^big:([0-9]+)$' -and [int]$Matches[1] -gt $ok -and [int]$Matches[1] -lt $n) { $next = [int]$Matches[1] }
    }
    if ($ok -lt $Low) { 0 } else { $ok }
}

function Invoke-MtuProbe($Req) {
    $found = @{}
    foreach ($t in @($Req.Targets)) {
        if ("$($t.Address)" -notmatch '^[0-9]{1,3}(\.[0-9]{1,3}){3}$') { throw (New-AgentError 'AddressInvalid' "'$($t.Address)' is not an IPv4 address to probe.") }
        $found[[string]$t.Name] = Find-LargestPacket ([string]$t.Address) ([int]$t.Low) ([int]$t.High)
    }
    $mtu = try { [int]([System.IO.File]::ReadAllText("/sys/class/net/$($Req.InterfaceName)/mtu").Trim()) } catch { 0 }
    @{ State = 'Read'; Mtu = @{ Found = $found; InterfaceMtu = $mtu } }
}

