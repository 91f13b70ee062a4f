# HomeTunnel's agent: the one script that runs on a host (through a PSSession, or in a local runspace).
# Its source is one part per kind in Hosts/Agent (this core; WireGuard, Apache, the nftables tables, the reads and
# probes, rotation, NAT and MTU probes; the dispatch; the worker; the session), joined in name order into one text,
# with the requests' shapes generated from the module's records after this core. A session's remote process gets the
# text once and keeps it, compiled, in a scope of its own (Hosts/AgentCall.cs). It needs nothing but pwsh and the
# host's own tools. Secrets arrive as arguments, never in script text;
# what it sends back is raw, and the module redacts it before anyone sees it (Hosts/Redaction.cs).
#
#   The agent gathers facts and acts; the module decides. A change takes two calls:
#   Facts: read-only; the files as the host has them, the live interface, the enabled sites and modules,
#   with a fingerprint of them. The module plans from these (Hosts/WireGuardPlanner.cs, ApachePlanner.cs).
#   Apply: the module's plan and the fingerprint it was made from. The request goes to a detached worker
#   (its own session, stdio on a file), so a dropped SSH connection cannot stop an apply half-way; the
#   worker takes the host lock, reads the facts again, applies the plan if they are the same, and answers
#   'Stale' with the new facts if not (the module plans again). It rolls back on failure.
param(
    # The request as one JSON string (its record in the module, Hosts/Contract/Requests.cs); the answer goes back the same way.
    [string] $Request,
    [string] $Serve
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# The no-op path (plan, compare, answer) uses .NET and the engine's own cmdlets only: loading the
# Management and Utility modules into a fresh remote runspace costs more than a whole no-op apply.
$script:IsRoot = [Environment]::UserName -eq 'root'
$script:RunDir = if ($script:IsRoot) { '/run/hometunnel' } else { [System.IO.Path]::Combine($HOME, '.hometunnel', 'run') }
$script:Actions = [System.Collections.Generic.List[string]]::new()
$script:WgError = ''
# The request format's version (the module's AgentRequest.ProtocolVersion; a test holds the two equal).
$script:ProtocolVersion = 3

# ---------------------------------------------------------------- the wire: one JSON string each way
# .NET's own JSON reader and writer: ConvertFrom-Json and ConvertTo-Json live in a module whose load costs a fresh
# runspace more than a no-op change, and cut deep values at a depth. Objects become hashtables (keys as PowerShell
# compares them), arrays object[], numbers long (or double), so the agent's code reads $Req.Key as before.

function ConvertFrom-AgentJson([string] $Json) {
    # Not PowerShell's own JsonObject.ConvertFromJson: it turns a text that looks like a date into a DateTime (an
    # interface may be named 2026-12-06). Strings stay strings here.
    $doc = [System.Text.Json.JsonDocument]::Parse($Json)
    try { ConvertFrom-JsonElement $doc.RootElement }
    finally { $doc.Dispose() }
}

function ConvertFrom-JsonElement([System.Text.Json.JsonElement] $E) {
    $kind = [int]$E.ValueKind   # Object 1, Array 2, String 3, Number 4, True 5, False 6, Null 7
    if ($kind -eq 3) { return $E.GetString() }
    if ($kind -eq 1) {
        $h = @{}
        foreach ($p in $E.EnumerateObject()) { $h[$p.Name] = ConvertFrom-JsonElement $p.Value }
        return $h
    }
    if ($kind -eq 2) {
        $list = [System.Collections.Generic.List[object]]::new()
        foreach ($x in $E.EnumerateArray()) { $list.Add((ConvertFrom-JsonElement $x)) }
        return , $list.ToArray()
    }
    if ($kind -eq 4) { $n = 0L; if ($E.TryGetInt64([ref] $n)) { return $n }; return $E.GetDouble() }
    if ($kind -eq 5) { return $true }
    if ($kind -eq 6) { return $false }
    $null
}

function ConvertTo-AgentJson($Value) {
    $buffer = [System.IO.MemoryStream]::new()
    $w = [System.Text.Json.Utf8JsonWriter]::new($buffer)
    try { Write-JsonValue $w $Value; $w.Flush() }
    finally { $w.Dispose() }
    [System.Text.Encoding]::UTF8.GetString($buffer.ToArray())
}

function Write-JsonValue([System.Text.Json.Utf8JsonWriter] $W, $Value) {
    # -is tests the object under PowerShell's wrapper; a [pscustomobject] is the one kind whose type says so.
    if ($null -eq $Value) { $W.WriteNullValue() }
    elseif ($Value -is [string] -or $Value -is [char]) { $W.WriteStringValue([string]$Value) }
    elseif ($Value -is [bool]) { $W.WriteBooleanValue($Value) }
    elseif ($Value -is [int] -or $Value -is [long] -or $Value -is [short] -or $Value -is [byte] -or $Value -is [uint32] -or $Value -is [uint64]) { $W.WriteNumberValue([long]$Value) }
    elseif ($Value -is [double] -or $Value -is [single] -or $Value -is [decimal]) { $W.WriteNumberValue([double]$Value) }
    elseif ($Value -is [System.Collections.IDictionary]) {
        $W.WriteStartObject()
        foreach ($k in $Value.Keys) { $W.WritePropertyName([string]$k); Write-JsonValue $W $Value[$k] }
        $W.WriteEndObject()
    }
    elseif ($Value.GetType() -eq [System.Management.Automation.PSCustomObject]) {
        $W.WriteStartObject()
        foreach ($p in $Value.PSObject.Properties) { $W.WritePropertyName($p.Name); Write-JsonValue $W $p.Value }
        $W.WriteEndObject()
    }
    elseif ($Value -is [System.Collections.IEnumerable]) {
        $W.WriteStartArray()
        foreach ($x in $Value) { Write-JsonValue $W $x }
        $W.WriteEndArray()
    }
    else { $W.WriteStringValue($Value.ToString()) }
}

function New-AgentError([string] $Id, [string] $Message, [string] $Command = '', [string] $Stderr = '') {
    $e = [System.Exception]::new($Message)
    $e.Data['HomeTunnelErrorId'] = $Id
    $e.Data['Command'] = $Command
    $e.Data['Stderr'] = $Stderr
    $e
}

function Invoke-Native {
    # Runs a command with an argument list (no shell, no string joining), through sudo -n when not root.
    param([string] $Command, [string[]] $Arguments = @(), [switch] $AllowFailure, [string] $InputText)
    $psi = [System.Diagnostics.ProcessStartInfo]::new()
    if ($script:IsRoot) { $psi.FileName = $Command } else { $psi.FileName = 'sudo'; $psi.ArgumentList.Add('-n'); $psi.ArgumentList.Add($Command) }
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    if ($InputText) { $p.StandardInput.Write($InputText) }
    $p.StandardInput.Close()
    $errTask = $p.StandardError.ReadToEndAsync()
    $out = $p.StandardOutput.ReadToEnd()
    $p.WaitForExit()
    $result = [pscustomobject]@{ ExitCode = $p.ExitCode; Out = $out; Err = $errTask.Result }
    if ($p.ExitCode -ne 0 -and -not $AllowFailure) {
        throw (New-AgentError 'CommandFailed' "'$Command $($Arguments -join ' ')' failed with exit code $($p.ExitCode)." "$Command $($Arguments -join ' ')" ($result.Err + $result.Out))
    }
    $result
}

function Start-DetachedCommand {
    param([string] $Command, [string[]] $Arguments)
    $log = [System.IO.Path]::Combine($script:RunDir, "native-$([guid]::NewGuid().ToString('N')).log")
    $wrapper = @('-c', 'log="$1"; shift; exec "$@" </dev/null >"$log" 2>&1', 'hometunnel', $log, $Command) + $Arguments
    $r = Invoke-Native 'sh' $wrapper -AllowFailure
    $text = if ([System.IO.File]::Exists($log)) { [System.IO.File]::ReadAllText($log) } else { '' }
    try { [System.IO.File]::Delete($log) } catch { }
    [pscustomobject]@{ ExitCode = $r.ExitCode; Out = $text; Err = $text }
}

# What a file is, without opening it (a FIFO would hang a read, a device be read without end). .NET's own stat
# first (Get-Item's first call costs a fresh process ≈ 150 ms, and every session's first call and every cold worker
# is one): a link (not followed), a folder, or a file with bytes in it is known at once, since a FIFO, a device and a
# socket have no size. Anything else (an empty file, a FIFO, a device, a socket, or a path this user cannot see)
# is asked of stat(1), through sudo as a user who cannot read the folder. At most 4 MiB is read.
$script:MaxFileBytes = 4MB
function Get-HostFileKind([string] $Path, [switch] $FollowLink) {
    $p = $Path
    if ($FollowLink) {
        try { $t = [System.IO.File]::ResolveLinkTarget($Path, $true); if ($t) { $p = $t.FullName } } catch { return $null }
    }
    $info = [System.IO.FileInfo]::new($p)
    if (-not $FollowLink -and $info.LinkTarget) { return @{ Kind = 'SymbolicLink'; Size = 0L } }
    if ([System.IO.Directory]::Exists($p)) { return @{ Kind = 'Directory'; Size = 0L } }
    if ($info.Exists -and $info.Length -gt 0) { return @{ Kind = 'File'; Size = $info.Length } }
    if (-not $info.Exists -and $script:IsRoot) { return $null }
    $r = Invoke-Native stat @('-c', '%F|%s', '--', $p) -AllowFailure
    if ($r.ExitCode -ne 0) { return $null }
    $f = $r.Out.Trim() -split '\|', 2
    @{ Kind = $(if ($f[0] -in 'regular file', 'regular empty file') { 'File' } else { $f[0] }); Size = [long]$f[1] }
}

function Read-HostFile([string] $Path, [switch] $FollowLink) {
    # A file HomeTunnel would write is read without following a link: the link's target may be any file of
    # the host (/etc/shadow), and is not ours to show. (The probe follows sites-enabled's links: Apache does.)
    $info = [System.IO.FileInfo]::new($Path)
    if (-not $FollowLink -and $info.LinkTarget) { return "(a symbolic link to $($info.LinkTarget))" }
    $kind = Get-HostFileKind $Path -FollowLink:$FollowLink
    if ($null -eq $kind) { return $null }
    if ($kind.Kind -ne 'File') { return "(not a regular file: $($kind.Kind))" }
    if ($kind.Size -gt $script:MaxFileBytes) { return "(over 4 MiB, not read)" }
    Read-HostFileText $Path
}

# A file's text once Get-HostFileKind said it is a regular file of at most 4 MiB (null when it cannot be read).
function Read-HostFileText([string] $Path) {
    if ($script:IsRoot) { return [System.IO.File]::ReadAllText($Path) }
    $r = Invoke-Native cat @($Path) -AllowFailure
    if ($r.ExitCode -eq 0) { $r.Out } else { $null }
}

function Write-HostFileAtomic([string] $Path, [string] $Text, [string] $Mode, [string] $Group = '', [string] $Owner = '') {
    # Staged beside the target, flushed, renamed over it: a reader sees the old file or the new one.
    $dir = [System.IO.Path]::GetDirectoryName($Path)
    $stage = [System.IO.Path]::Combine($dir, ".$([System.IO.Path]::GetFileName($Path)).hometunnel-$([guid]::NewGuid().ToString('N'))")
    if ($script:IsRoot) {
        $options = [System.IO.FileStreamOptions]::new()
        $options.Mode = 'CreateNew'; $options.Access = 'Write'
        $options.UnixCreateMode = [System.IO.UnixFileMode]([Convert]::ToInt32($Mode, 8))
        # A failed write (a full disk) must not leave the staged file behind.
        try {
            $fs = [System.IO.FileStream]::new($stage, $options)
            try {
                $bytes = [System.Text.UTF8Encoding]::new($false).GetBytes($Text)
                $fs.Write($bytes, 0, $bytes.Length)
                $fs.Flush($true)
            }
            finally { $fs.Dispose() }
            # A group (www-data reads an htpasswd file) is set on the staged file: the target is never readable by more.
            if ($Group) { Invoke-Native chgrp @($Group, $stage) | Out-Null }
            # An owner (www-data runs mod_md's DNS-01 hook, which reads its 0600 key file) likewise, before the rename.
            if ($Owner) { Invoke-Native chown @($Owner, $stage) | Out-Null }
            [System.IO.File]::Move($stage, $Path, $true)
        }
        catch {
            try { [System.IO.File]::Delete($stage) } catch { }
            throw (New-AgentError 'FileWriteFailed' "Could not write $($Path): $($_.Exception.GetBaseException().Message) The file on the host is unchanged." "write $Path" '')
        }
    }
    else {
        $tmp = [System.IO.Path]::Combine($script:RunDir, [guid]::NewGuid().ToString('N'))
        [System.IO.File]::WriteAllText($tmp, $Text)
        try {
            Invoke-Native install @('-m', $Mode, '-o', $(if ($Owner) { $Owner } else { 'root' }), '-g', $(if ($Group) { $Group } else { 'root' }), $tmp, $stage) | Out-Null
            Invoke-Native mv @('-f', $stage, $Path) | Out-Null
        }
        catch {
            Invoke-Native rm @('-f', $stage) -AllowFailure | Out-Null
            throw
        }
        finally { try { [System.IO.File]::Delete($tmp) } catch { } }
    }
}

function Remove-HostFile([string] $Path) {
    # .NET's delete takes a link itself, never its target (Remove-Item's first call costs a fresh process ≈ 150 ms).
    if ($script:IsRoot) { try { [System.IO.File]::Delete($Path) } catch { } } else { Invoke-Native rm @('-f', $Path) | Out-Null }
}

# .NET only: it is asked on the no-op path, where loading the Management module for Test-Path costs more than the rest.
function Test-Systemd { [System.IO.Directory]::Exists('/run/systemd/system') }

# Whether a program is on PATH, by the file system alone (command discovery costs a fresh runspace tens of ms).
function Test-Tool([string] $Name) {
    foreach ($d in "$env:PATH".Split(':')) { if ($d -and [System.IO.File]::Exists("$d/$Name")) { return $true } }
    $false
}

# The names in a folder, links and all (Get-ChildItem's first call costs a fresh process ≈ 150 ms).
function Get-FolderNames([string] $Dir) {
    if (-not [System.IO.Directory]::Exists($Dir)) { return }
    foreach ($e in [System.IO.Directory]::GetFileSystemEntries($Dir)) { [System.IO.Path]::GetFileName($e) }
}

# Strings in ordinal order (Sort-Object's first call costs a fresh process ≈ 50 ms, and its order follows the culture).
function Get-OrdinalSorted([string[]] $Items) {
    $a = [string[]]@(foreach ($i in $Items) { if ($null -ne $i) { $i } })
    [System.Array]::Sort($a, [System.StringComparer]::Ordinal)
    , $a
}

function Get-Fingerprint([string[]] $Parts) {
    # What a plan was made from, in one value: the worker applies only if the host still looks the same.
    $bytes = [System.Text.Encoding]::UTF8.GetBytes(($Parts -join "`0"))
    [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes))
}


function Assert-RequestShape($Req) {
    # The request has exactly the members of its kind's record (the shapes are generated from the module's records,
    # joined in after this core): a member more or less is a request this agent was not made for, and nothing runs.
    $shape = Get-RequestShape ([string]$Req.Kind)
    if (-not $shape) { throw (New-AgentError 'UnknownRequestKind' "This agent does not know requests of kind '$($Req.Kind)'.") }
    Assert-Members $Req $shape.Members 'request'
    foreach ($m in $shape.Nested.Keys) {
        foreach ($item in @($Req[$m])) { if ($null -ne $item) { Assert-Members $item $shape.Nested[$m] "request's $m" } }
    }
}

function Assert-Members($Table, [string[]] $Want, [string] $What) {
    if ($Table -isnot [hashtable]) { throw (New-AgentError 'RequestInvalid' "The $What is not an object.") }
    $unknown = @(foreach ($k in $Table.Keys) { if ($Want -cnotcontains $k) { $k } })
    $missing = @(foreach ($w in $Want) { if (-not $Table.ContainsKey($w)) { $w } })
    if ($unknown.Count -or $missing.Count) {
        throw (New-AgentError 'RequestInvalid' "The $What does not keep to its shape: $(if ($missing.Count) { "without $($missing -join ', ')" }) $(if ($unknown.Count) { "with unknown $($unknown -join ', ')" })".Trim())
    }
}
