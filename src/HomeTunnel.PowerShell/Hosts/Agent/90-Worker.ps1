# ---------------------------------------------------------------- the worker (detached, kept warm)
#
# An apply runs in a detached worker: its own session (setsid, or a systemd unit of its own), stdio on a log file,
# so a dropped SSH connection cannot stop it half-way. Starting pwsh costs most of a change, so a worker serves
# every request for its agent (by the agent's hash) until it has been idle for the request's WorkerIdleSeconds:
# the first change on a host starts it, the next ones find it warm. The hand-over is files in the run folder
# (root's /run/hometunnel or the user's own, 0700; every file 0600, created new):
#   request-<hash>-<id>.json      written whole (a .part renamed), by the session
#   request-<hash>-<id>.claimed   renamed by the one worker that takes it (rename is atomic: one taker), read, deleted
#   request-<hash>-<id>.busy      empty, while that worker applies it
#   request-<hash>-<id>.result    written whole (a .part renamed), by the worker; read and deleted by the session
#   worker-<hash>.lock            held (flock) by the live worker for this agent, so sessions know whether one runs
# Waits are on file events (inotify) with a short re-check, never a bare poll (short sleeps only where the host
# has no inotify instance left to give). The host lock (Enter-HostLock) is
# taken per request, so two admins' changes are serialised whatever worker serves them.

function Initialize-RunDir {
    if (-not [System.IO.Directory]::Exists($script:RunDir)) {
        $null = [System.IO.Directory]::CreateDirectory($script:RunDir, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    }
    $info = [System.IO.DirectoryInfo]::new($script:RunDir)
    if ($info.LinkTarget) {
        throw (New-AgentError 'RunFolderUnsafe' "HomeTunnel's run folder $($script:RunDir) is a link to $($info.LinkTarget); it must be a folder of its own, mode 0700.")
    }
    # Only this user (root: /run is root's) can have made it; requests hold secrets, so it is closed to others.
    $mode = [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute'
    if ($info.UnixFileMode -ne $mode) { [System.IO.File]::SetUnixFileMode($script:RunDir, $mode) }
}

function Write-RunFile([string] $Path, [string] $Text, [switch] $KeepOpen) {
    # 0600, created new (never through a file or link that is already there), then renamed into place. -KeepOpen
    # returns the file still open, with its shared lock (flock) held: a request's session holds it while it waits.
    $part = "$Path.part"
    # A .part left by a crash (the agent copy's name is the same each time) is ours to drop: this folder is ours alone.
    [System.IO.File]::Delete($part)
    $options = [System.IO.FileStreamOptions]::new(); $options.Mode = 'CreateNew'; $options.Access = 'Write'; $options.Share = 'Read'
    $options.UnixCreateMode = [System.IO.UnixFileMode]'UserRead, UserWrite'
    $fs = [System.IO.FileStream]::new($part, $options)
    try {
        $b = [System.Text.UTF8Encoding]::new($false).GetBytes($Text); $fs.Write($b, 0, $b.Length); $fs.Flush()
        [System.IO.File]::Move($part, $Path, $true)
    }
    catch { $fs.Dispose(); throw }
    if ($KeepOpen) { return $fs }
    $fs.Dispose()
}

function Get-AgentHash([string] $Text) {
    [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes($Text))).Substring(0, 16).ToLowerInvariant()
}

function Open-WorkerLock([string] $Hash, [switch] $Shared) {
    # The live worker holds it exclusively; a session asks with a shared lock, which only a live worker refuses.
    $path = [System.IO.Path]::Combine($script:RunDir, "worker-$Hash.lock")
    try { [System.IO.File]::Open($path, 'OpenOrCreate', 'ReadWrite', $(if ($Shared) { 'ReadWrite' } else { 'None' })) }
    catch [System.IO.IOException] { $null }
}

function Enter-WorkerLock([string] $Hash) {
    # A session's shared probe may hold the lock for a moment: a worker tries for a second before it concludes
    # that another worker serves this agent.
    $until = [DateTime]::UtcNow.AddSeconds(1)
    while (-not ($lock = Open-WorkerLock $Hash) -and [DateTime]::UtcNow -lt $until) { [System.Threading.Thread]::Sleep(20) }
    $lock
}

function Test-WorkerAlive([string] $Hash) {
    $probe = Open-WorkerLock $Hash -Shared
    if ($probe) { $probe.Dispose(); return $false }
    $true
}

function Start-Worker([string] $Hash, [string] $AgentText) {
    $agent = [System.IO.Path]::Combine($script:RunDir, "agent-$Hash.ps1")
    # The copy is checked by its hash before each start: a file cut short by a crash is written again.
    if (-not [System.IO.File]::Exists($agent) -or (Get-AgentHash ([System.IO.File]::ReadAllText($agent))) -ne $Hash) { Write-RunFile $agent $AgentText }
    else { [System.IO.File]::SetLastWriteTimeUtc($agent, [DateTime]::UtcNow) }
    $id = [guid]::NewGuid().ToString('N')
    $log = [System.IO.Path]::Combine($script:RunDir, "worker-$Hash-$id.log")
    $pwsh = @(Get-PwshCommand)
    # Two settings of the worker's own process. No tier-up: a cold worker's first apply is most of its life, and the
    # runtime re-compiling what that apply ran costs about a core-second more right after it (measured on the lab's
    # relay: 3.4-3.6 s of CPU per cold worker with it, 2.4-2.5 without), on a small VPS beside the next step. The code
    # stays as first compiled (ReadyToRun or quick JIT); a runtime that does not know the setting keeps its default.
    # No telemetry: a root helper on an internet-facing host sends nothing anywhere (pwsh reports its start otherwise).
    $argv = @('-f', 'sh', '-c', 'log="$1"; shift; exec env DOTNET_TC_CallCounting=0 POWERSHELL_TELEMETRY_OPTOUT=1 "$@" </dev/null >"$log" 2>&1', 'hometunnel', $log) + $pwsh + @('-NoProfile', '-NonInteractive', '-File', $agent, '-Serve', $Hash)
    if ((Test-Systemd) -and (Test-Tool systemd-run)) {
        # On systemd a session's processes die with its scope: run the worker as a unit of its own.
        $argv = @('--quiet', '--collect', '--unit', "hometunnel-$id", 'sh') + $argv[2..($argv.Count - 1)]
        $null = & systemd-run @argv
    }
    else { $null = & setsid @argv }
}

function New-RunWatcher([string] $Filter) {
    # Events on the run folder's files (inotify). A host whose user has used up its inotify instances (128 by
    # default, shared by everything that user runs) gets none, and the waits fall back to short sleeps.
    try {
        $w = [System.IO.FileSystemWatcher]::new($script:RunDir, $Filter)
        $w.EnableRaisingEvents = $true
        $w
    }
    catch { $null }
}

function Wait-RunFile($Watcher, [int] $Milliseconds) {
    # Wakes on any event in the folder that matches the watcher, or after the time; the caller looks again.
    if ($Watcher) { $null = $Watcher.WaitForChanged([System.IO.WatcherChangeTypes]::All, $Milliseconds) }
    else { [System.Threading.Thread]::Sleep([Math]::Min($Milliseconds, 50)) }
}

function Invoke-InWorker($Req, [string] $AgentText) {
    Initialize-RunDir
    $hash = Get-AgentHash $AgentText
    $base = [System.IO.Path]::Combine($script:RunDir, "request-$hash-$([guid]::NewGuid().ToString('N'))")
    $watcher = New-RunWatcher "$([System.IO.Path]::GetFileName($base)).*"
    $held = $null
    try {
        # Held until the answer: a worker takes only a request whose session still waits for it, so the request of
        # a session cut before any worker took it is never applied later, by surprise (the worker deletes it).
        $held = Write-RunFile "$base.json" (ConvertTo-AgentJson $Req) -KeepOpen
        $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.TimeoutSeconds)
        $started = [DateTime]::MinValue
        while (-not [System.IO.File]::Exists("$base.result")) {
            if ([DateTime]::UtcNow -gt $deadline) {
                # The worker may still take it: a stopped or timed-out call leaves its files to the 15-minute sweep.
                throw (New-AgentError 'WorkerTimedOut' "The apply did not finish within $($Req.TimeoutSeconds) s; it may still complete. Run the same command again to see where it stands.")
            }
            if (-not (Test-WorkerAlive $hash)) {
                if ([System.IO.File]::Exists("$base.json")) {
                    # Nobody serves this agent (none yet, or the last one ended or was killed): start one; another,
                    # only when the first has had its time to start and still holds no lock.
                    if (([DateTime]::UtcNow - $started).TotalSeconds -gt 20) { Start-Worker $hash $AgentText; $started = [DateTime]::UtcNow }
                }
                elseif (-not [System.IO.File]::Exists("$base.result") -and -not (Test-WorkerAlive $hash) -and -not [System.IO.File]::Exists("$base.json")) {
                    # Taken, and its worker is gone without an answer: it was killed during the apply.
                    try { [System.IO.File]::Delete("$base.busy") } catch { }
                    throw (New-AgentError 'WorkerStopped' 'The worker that took this apply ended without an answer (it was killed or the host ran out of memory). Run the same command again to see where the host stands.')
                }
            }
            Wait-RunFile $watcher 250
        }
        # The worker's answer is already the wire's text: it goes back as it is.
        try { [System.IO.File]::ReadAllText("$base.result") }
        finally { [System.IO.File]::Delete("$base.result") }
    }
    finally {
        if ($watcher) { $watcher.Dispose() }
        if ($held) { $held.Dispose() }
    }
}

function Complete-Answer($Out) {
    # The answer is the last hashtable written (a stray value before it is not part of it), with the format's version.
    $answer = @($Out | Where-Object { $_ -is [hashtable] })[-1]
    if ($null -eq $answer) { $answer = @{ State = 'Failed'; ErrorId = 'AgentNoResult'; Message = 'The agent wrote no answer.'; Command = ''; Stderr = ''; Actions = @() } }
    $answer['Version'] = $script:ProtocolVersion
    $answer
}

function ConvertTo-ErrorResult($err) {
    $ex = $err.Exception
    $id = if ($ex.Data.Contains('HomeTunnelErrorId')) { $ex.Data['HomeTunnelErrorId'] } else { 'HostOperationFailed' }
    @{ State = 'Failed'; ErrorId = $id; Message = $ex.Message; Command = "$($ex.Data['Command'])"; Stderr = "$($ex.Data['Stderr'])"; Actions = @($script:Actions) }
}

function Receive-Request([string] $Hash) {
    # The first request for this agent that this worker wins (a rename: if another worker took it, the next).
    # A request nobody holds any more (its session was cut before a worker took it) is deleted, not applied.
    foreach ($f in [System.IO.Directory]::GetFiles($script:RunDir, "request-$Hash-*.json")) {
        $orphan = try { [System.IO.File]::Open($f, 'Open', 'Read', 'None') } catch { $null }
        if ($orphan) { try { [System.IO.File]::Delete($f) } catch { } finally { $orphan.Dispose() }; continue }
        $claimed = [System.IO.Path]::ChangeExtension($f, '.claimed')
        try { [System.IO.File]::Move($f, $claimed, $false); return $claimed }
        catch [System.IO.IOException] { }
    }
    $null
}

function Invoke-ClaimedRequest([string] $Claimed) {
    $base = $Claimed.Substring(0, $Claimed.Length - '.claimed'.Length)
    Write-RunFile "$base.busy" ''
    $script:Actions = [System.Collections.Generic.List[string]]::new()
    $script:WgError = ''
    $out = try {
        $req = ConvertFrom-AgentJson ([System.IO.File]::ReadAllText($Claimed))
        [System.IO.File]::Delete($Claimed)
        if ($req.Version -ne $script:ProtocolVersion) { throw (New-AgentError 'UnsupportedAgentVersion' "This worker speaks version $($script:ProtocolVersion) of the request format; the request is version '$($req.Version)'.") }
        Assert-RequestShape $req
        $script:IdleSeconds = [Math]::Clamp([int]$req.WorkerIdleSeconds, 0, 600)
        Invoke-Worker $req
    }
    catch { ConvertTo-ErrorResult $_ }
    finally { [System.IO.File]::Delete($Claimed) }
    Write-RunFile "$base.result" (ConvertTo-AgentJson (Complete-Answer $out))
    [System.IO.File]::Delete("$base.busy")
}

function Invoke-Serve([string] $Hash) {
    if ($Hash -notmatch '^[0-9a-f]{16}$') { throw "Not an agent hash: '$Hash'." }
    if (-not ($lock = Enter-WorkerLock $Hash)) { return }   # another worker serves this agent
    $script:IdleSeconds = 30
    $watcher = New-RunWatcher "request-$Hash-*.json"
    $last = [DateTime]::UtcNow
    try {
        while ($true) {
            if ($claimed = Receive-Request $Hash) { Invoke-ClaimedRequest $claimed; $last = [DateTime]::UtcNow; continue }
            if (([DateTime]::UtcNow - $last).TotalSeconds -ge $script:IdleSeconds) {
                # Going: the lock first, then one more look, so a request written meanwhile is served here or its
                # session (which now finds no worker) starts another.
                $lock.Dispose(); $lock = $null
                if (-not [System.IO.Directory]::GetFiles($script:RunDir, "request-$Hash-*.json")) { return }
                if (-not ($lock = Enter-WorkerLock $Hash)) { return }
                continue
            }
            Wait-RunFile $watcher 1000
        }
    }
    finally {
        if ($watcher) { $watcher.Dispose() }
        if ($lock) { $lock.Dispose() }
    }
}

# Worker phase: started detached, it serves this agent's requests until idle.
if ($Serve) {
    $script:RunDir = [System.IO.Path]::GetDirectoryName($PSCommandPath)
    Invoke-Serve $Serve
    return
}

