# ---------------------------------------------------------------- key rotation (live steps, Update-TunnelPeerKey)

function Get-WgColumn([string] $If, [string] $What, [string] $Key) {
    # One peer's value from 'wg show <if> <what>' (latest-handshakes, allowed-ips, preshared-keys).
    foreach ($line in (Invoke-Native wg @('show', $If, $What)).Out -split "`n") {
        $f = $line -split "`t", 2
        if ($f.Count -eq 2 -and $f[0] -eq $Key) { return $f[1].Trim() }
    }
    $null
}

function Send-TunnelKick([string] $If, [string] $Key) {
    # One datagram into the tunnel to the peer (port 9, discard): WireGuard shakes hands when it has data to send.
    $allowed = [System.Linq.Enumerable]::FirstOrDefault([string[]]@("$(Get-WgColumn $If 'allowed-ips' $Key)" -split '[ ,]' -match '^[0-9.]+/'))
    if (-not $allowed) { return }
    $udp = [System.Net.Sockets.UdpClient]::new()
    try { $null = $udp.Send([byte[]](104, 116), 2, ($allowed -split '/')[0], 9) } catch { } finally { $udp.Dispose() }
}

function Invoke-RelayRotation($Req) {
    # The relay's half. Add: the new key as a second peer with no AllowedIPs (the old one still carries the home's
    # addresses, so nothing moves yet). Await: once the new peer has shaken hands, its AllowedIPs move over in the same
    # 'wg set' that removes the old peer; with no handshake by the deadline, the new peer goes and the old stays.
    $if = $Req.InterfaceName; $old = $Req.OldKey; $new = $Req.NewKey
    if ($Req.Step -eq 'Add') {
        $psk = if ($Req.PresharedKey) { $Req.PresharedKey } else { '' }
        Invoke-Native wg @('set', $if, 'peer', $new, 'preshared-key', $(if ($psk) { '/dev/stdin' } else { '/dev/null' })) -InputText $psk | Out-Null
        return @{ State = 'Read'; Rotation = @{ Step = 'Added'; AllowedIPs = $null } }
    }
    $allowed = Get-WgColumn $if 'allowed-ips' $old
    $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.WaitSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        $hs = Get-WgColumn $if 'latest-handshakes' $new
        if ($hs -and $hs -ne '0') {
            $list = (("$allowed" -split '[ ,]') | Where-Object { $_ -and $_ -ne '(none)' }) -join ','
            Invoke-Native wg @('set', $if, 'peer', $new, 'allowed-ips', $list, 'peer', $old, 'remove') | Out-Null
            return @{ State = 'Read'; Rotation = @{ Step = 'Rotated'; AllowedIPs = $list } }
        }
        [System.Threading.Thread]::Sleep(10)
    }
    Invoke-Native wg @('set', $if, 'peer', $new, 'remove') -AllowFailure | Out-Null
    @{ State = 'Read'; Rotation = @{ Step = 'TimedOut'; AllowedIPs = $null } }
}

function Invoke-HomeRotation($Req) {
    # The home half: the relay peer's new preshared key, then the new private key (which ends the old sessions),
    # a datagram so the handshake comes at once, and the wait for it. With no handshake by the deadline, the old
    # keys go back (they never left this host) and the old session is shaken hands again.
    $if = $Req.InterfaceName; $relay = $Req.RelayKey
    $oldPrivate = (Invoke-Native wg @('show', $if, 'private-key')).Out.Trim()
    $oldPsk = Get-WgColumn $if 'preshared-keys' $relay
    $since = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    $psk = if ($Req.PresharedKey) { $Req.PresharedKey } else { '' }
    Invoke-Native wg @('set', $if, 'peer', $relay, 'preshared-key', $(if ($psk) { '/dev/stdin' } else { '/dev/null' })) -InputText $psk | Out-Null
    Invoke-Native wg @('set', $if, 'private-key', '/dev/stdin') -InputText $Req.PrivateKey | Out-Null
    $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.WaitSeconds)
    $kick = [DateTime]::MinValue
    while ([DateTime]::UtcNow -lt $deadline) {
        if ([DateTime]::UtcNow -ge $kick) { Send-TunnelKick $if $relay; $kick = [DateTime]::UtcNow.AddSeconds(1) }
        $hs = Get-WgColumn $if 'latest-handshakes' $relay
        if ($hs -and [long]$hs -ge $since) { return @{ State = 'Read'; Rotation = @{ Step = 'Rotated'; AllowedIPs = $null } } }
        [System.Threading.Thread]::Sleep(10)
    }
    Invoke-Native wg @('set', $if, 'peer', $relay, 'preshared-key', $(if ($oldPsk -and $oldPsk -ne '(none)') { '/dev/stdin' } else { '/dev/null' })) -InputText $(if ($oldPsk -and $oldPsk -ne '(none)') { $oldPsk } else { '' }) -AllowFailure | Out-Null
    Invoke-Native wg @('set', $if, 'private-key', '/dev/stdin') -InputText $oldPrivate -AllowFailure | Out-Null
    Send-TunnelKick $if $relay
    @{ State = 'Read'; Rotation = @{ Step = 'TimedOut'; AllowedIPs = $null } }
}

