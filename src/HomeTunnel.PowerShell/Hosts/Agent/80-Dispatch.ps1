# ---------------------------------------------------------------- driver

# ---------------------------------------------------------------- dispatch

# One row per kind of change, keyed by the request's Kind: a new kind is a row, not a branch.
$script:Changes = @{
    WireGuard = @{
        Facts       = { param($Req) Get-WireGuardFacts $Req }
        Fingerprint = { param($Facts) Get-WireGuardFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-WireGuardApply $Req $Plan }
    }
    Forward   = @{
        Facts       = { param($Req) Get-NftTableFacts $Req }
        Fingerprint = { param($Facts) Get-NftTableFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-NftTableApply $Req $Plan }
    }
    HomeFirewall = @{
        Facts       = { param($Req) Get-NftTableFacts $Req }
        Fingerprint = { param($Facts) Get-NftTableFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-NftTableApply $Req $Plan }
    }
    Apache    = @{
        Facts       = { param($Req) Get-ApacheFacts $Req }
        Fingerprint = { param($Facts) Get-ApacheFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-ApacheApply $Req $Plan }
    }
}
$script:Reads = @{
    Status     = { param($Req) @{ State = 'Read'; Status = (Get-WgStatus $Req); Now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() } }
    RelayProbe = { param($Req) @{ State = 'Read'; Probe = (Get-RelayProbe $Req) } }
    SiteFiles  = { param($Req) Get-SiteFiles $Req }
    ConnectProbe = { param($Req) Get-ConnectProbe $Req }
    HomeProbe  = { param($Req) @{ State = 'Read'; Probe = (Get-HomeProbe $Req) } }
    Managed    = { param($Req) Get-ManagedFiles $Req }
}

function Get-Change($Req) {
    $change = $script:Changes[[string]$Req.Kind]
    if (-not $change) { throw (New-AgentError 'UnknownRequestKind' "This agent does not know requests of kind '$($Req.Kind)'.") }
    $change
}

function Enter-HostLock {
    # One apply at a time per host: an exclusive lock (flock) on a file, waited for up to the timeout.
    $lockDir = if ($script:IsRoot) { '/run/lock' } else { $script:RunDir }
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while ($true) {
        try { return [System.IO.File]::Open("$lockDir/hometunnel.lock", 'OpenOrCreate', 'ReadWrite', 'None') }
        catch [System.IO.IOException] {
            if ([DateTime]::UtcNow -gt $deadline) { throw (New-AgentError 'HostBusy' 'Another HomeTunnel apply held the host lock for 120 s.') }
            [System.Threading.Thread]::Sleep(100)
        }
    }
}

function Invoke-Worker($Req) {
    $lock = Enter-HostLock
    try {
        $change = Get-Change $Req
        $facts = & $change.Facts $Req
        $fingerprint = & $change.Fingerprint $facts
        if ($fingerprint -ne $Req.Fingerprint) {
            # Another apply (or a person) changed the host since the module planned: it plans again.
            return @{ State = 'Stale'; Facts = $facts; Fingerprint = $fingerprint; Actions = @() }
        }
        $state = & $change.Apply $Req $Req.Plan
        @{ State = $state; Actions = @($script:Actions) }
    }
    finally { $lock.Dispose() }
}

function Get-PwshCommand {
    $path = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileName($path) -in 'dotnet', 'dotnet.exe') { return @($path, [System.Reflection.Assembly]::GetEntryAssembly().Location) }
    @($path)
}

