function Clear-StaleRunFile {
    # A session cut mid-apply leaves its worker's request, result, log and agent copy behind (0600, in a
    # 0700 folder); nobody is left to collect them, so every later call sweeps what is over 15 min old.
    if (-not [System.IO.Directory]::Exists($script:RunDir)) { return }
    $cutoff = [DateTime]::UtcNow.AddMinutes(-15)
    foreach ($f in [System.IO.Directory]::GetFiles($script:RunDir)) {
        # A worker's lock stays: deleting it under a live worker would let a second one start beside it.
        if ($f.EndsWith('.lock')) { continue }
        if ([System.IO.File]::GetLastWriteTimeUtc($f) -lt $cutoff) { try { [System.IO.File]::Delete($f) } catch { } }
    }
}

# Session phase: one request in (JSON), one answer out (JSON, with the format's version).
function Invoke-Request([string] $Json) {
    $Request = ConvertFrom-AgentJson $Json
    if ($Request -isnot [hashtable] -or $Request.Version -ne $script:ProtocolVersion) {
        # The module sends its own agent (kept per session under its hash), so this means a request made for another agent.
        $v = if ($Request -is [hashtable]) { $Request.Version } else { '' }
        throw (New-AgentError 'UnsupportedAgentVersion' "This agent speaks version $($script:ProtocolVersion) of the request format; the request is version '$v'.")
    }
    Assert-RequestShape $Request
    Clear-StaleRunFile
    if (-not $script:IsRoot) {
        # No sudo at all is the same answer as a sudo that refuses.
        $probe = try { Invoke-Native true @() -AllowFailure } catch { [pscustomobject]@{ ExitCode = 127; Err = "sudo: $($_.Exception.GetBaseException().Message)" } }
        if ($probe.ExitCode -ne 0) {
            throw (New-AgentError 'NotRootNorSudo' "HomeTunnel needs root on this host, or password-less sudo for its commands (see docs). $(whoami) has neither." 'sudo -n true' $probe.Err)
        }
    }
    $read = $script:Reads[[string]$Request.Kind]
    if ($read) { return (& $read $Request) }
    # Live steps: a key rotation's halves change only the running interface (the files follow once both halves
    # succeeded), in the session, bounded by the request's own deadline.
    if ($Request.Kind -eq 'RotateRelay') { return (Invoke-RelayRotation $Request) }
    if ($Request.Kind -eq 'RotateHome') { return (Invoke-HomeRotation $Request) }
    if ($Request.Kind -eq 'NatProbeRelay') { return (Invoke-NatProbeRelay $Request) }
    if ($Request.Kind -eq 'NatProbeHome') { return (Invoke-NatProbeHome $Request) }
    if ($Request.Kind -eq 'MtuProbe') { return (Invoke-MtuProbe $Request) }
    $change = Get-Change $Request
    if ($Request.Kind -eq 'Apache' -and -not [System.IO.Directory]::Exists('/etc/apache2')) {
        # What the host is, as its own os-release says (the module's bootstrap probe is the one that decides platforms).
        $os = if ([System.IO.File]::Exists('/etc/os-release')) { @([System.IO.File]::ReadAllLines('/etc/os-release') | Where-Object { $_ -like 'PRETTY_NAME=*' })[0] } else { $null }
        $name = if ($os) { $os.Substring(12).Trim('"', "'") } else { 'an unknown system' }
        $web = if ([System.IO.Directory]::Exists('/etc/httpd')) { 'httpd (/etc/httpd)' } else { 'none' }
        throw (New-AgentError 'WebServerNotSupported' "This host ($name) has no Debian-style Apache (/etc/apache2); its web server: $web. Install apache2, or see docs for the supported platforms.")
    }
    if ($null -eq $Request['Plan']) {
        $facts = & $change.Facts $Request
        return @{ State = 'Facts'; Facts = $facts; Fingerprint = (& $change.Fingerprint $facts) }
    }
    Invoke-InWorker $Request $script:AgentBlock.ToString()
}

# The agent's own text goes to its worker; taken from the block only when an apply needs it (its text costs a few ms).
$script:AgentBlock = $MyInvocation.MyCommand.ScriptBlock
$answer = try { Invoke-Request $Request } catch { ConvertTo-ErrorResult $_ }
# A worker's answer is already the wire's text; any other is written here.
if ($answer -is [string]) { $answer } else { ConvertTo-AgentJson (Complete-Answer $answer) }
