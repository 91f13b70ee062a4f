# Shared by every test file: dot-source it in BeforeAll.
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ModulePath = if ($env:HOMETUNNEL_MODULE) { $env:HOMETUNNEL_MODULE } else { Join-Path $script:RepoRoot 'out/HomeTunnel' }
Import-Module $script:ModulePath -Force

function Test-IsRoot { $IsLinux -and (id -u) -eq '0' }

# Runs the block with errors made terminating and returns the first ErrorRecord; fails the test when none comes.
function Get-ErrorRecord([scriptblock] $Block) {
    # Every error the block writes is the one to catch, whatever the caller's preference.
    $ErrorActionPreference = 'Stop'
    try {
        $null = & $Block -ErrorAction Stop
    }
    catch {
        return $_
    }
    throw 'Expected an error, but the command succeeded.'
}

# Asserts the parts every HomeTunnel error must have: id, category and the offending value.
function Assert-HomeTunnelError([System.Management.Automation.ErrorRecord] $Record, [string] $ErrorId, [string] $Category, $Target) {
    # An id may carry details after ':' (ApacheRunsProgram:CustomLog:7).
    $Record.FullyQualifiedErrorId | Should -BeLike "$ErrorId[,:]*"
    $Record.CategoryInfo.Category | Should -Be $Category
    if ($PSBoundParameters.ContainsKey('Target')) { $Record.TargetObject | Should -Be $Target }
    $Record.Exception.Message | Should -Not -BeNullOrEmpty
}

# The command line that starts the same pwsh as this one (under 'dotnet pwsh' the process is dotnet).
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ((Split-Path $process -Leaf) -in 'dotnet', 'dotnet.exe') {
        return @($process, [System.Reflection.Assembly]::GetEntryAssembly().Location)
    }
    return @($process)
}

function Invoke-FreshPwsh([string] $Command) {
    $pwsh = @(Get-PwshCommand)
    $rest = @($pwsh | Select-Object -Skip 1)
    & $pwsh[0] @rest -NoProfile -NonInteractive -Command $Command
}

# A valid key with its last significant character changed so that padding bits are set:
# .NET decodes it, wg refuses it.
function Get-NonCanonicalKey([string] $Key) {
    $alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    $index = $alphabet.IndexOf($Key[42])
    $Key.Substring(0, 42) + $alphabet[$index -bor 1] + '='
}

# A throwaway network namespace with one userspace WireGuard interface; returns what Remove-WgSandbox needs.
function New-WgSandbox {
    $suffix = [Guid]::NewGuid().ToString('N').Substring(0, 8)
    $ns = "htt-$suffix"
    $if = "htt$suffix".Substring(0, 11)
    ip netns add $ns
    # Foreground mode keeps wireguard-go our child, so it is stopped by its PID.
    $env:WG_PROCESS_FOREGROUND = '1'
    $proc = Start-Process -FilePath ip -ArgumentList 'netns', 'exec', $ns, 'wireguard-go', '-f', $if -PassThru -RedirectStandardOutput '/dev/null' -RedirectStandardError "/tmp/$ns.err"
    Remove-Item Env:WG_PROCESS_FOREGROUND
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while (-not (Test-Path "/run/wireguard/$if.sock") -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
    [pscustomobject]@{ Namespace = $ns; Interface = $if; Process = $proc }
}

function Remove-WgSandbox($Sandbox) {
    if (-not $Sandbox) { return }
    if ($Sandbox.Process -and -not $Sandbox.Process.HasExited) { $Sandbox.Process.Kill($true); $Sandbox.Process.WaitForExit(5000) | Out-Null }
    ip netns delete $Sandbox.Namespace 2>$null
    Remove-Item "/run/wireguard/$($Sandbox.Interface).sock", "/tmp/$($Sandbox.Namespace).err" -ErrorAction Ignore
}

# A copy of the machine's /etc/apache2 in a temporary folder, used as a ServerRoot through APACHE_CONFDIR:
# configtest runs the real Apache against it and the machine's own config is never touched.
function New-ApacheSandbox {
    $dir = Join-Path ([IO.Path]::GetTempPath()) "ht-apache-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-Item -ItemType Directory $dir | Out-Null
    cp -a /etc/apache2/. "$dir/"   # keeps the mods-enabled symlinks that a2enmod expects
    Get-ChildItem (Join-Path $dir 'sites-enabled') | Remove-Item
    # mod_md keeps its store under the ServerRoot; a contact lets it accept a site before any ACME run.
    Set-Content (Join-Path $dir 'conf-enabled/zz-hometunnel-test.conf') "ServerName sandbox.test`nMDContactEmail admin@example.test`nMDCertificateAgreement accepted`nMDStoreDir $dir/md"
    $dir
}

# Runs the real configtest on one site file in the sandbox; returns @{ Ok; Output }.
function Test-ApacheSandboxSite([string] $Sandbox, [string] $Text, [string[]] $Modules = @('proxy', 'proxy_http', 'headers')) {
    $env:APACHE_CONFDIR = $Sandbox
    try {
        $null = a2enmod -q @Modules 2>&1
        if (-not ($Modules -contains 'md')) {
            # The sandbox's MD* directives need mod_md loaded; keep it on for every test.
            $null = a2enmod -q md 2>&1
        }
        $site = Join-Path $Sandbox 'sites-available/test-site.conf'
        Set-Content -LiteralPath $site -Value $Text -NoNewline
        New-Item -ItemType SymbolicLink -Path (Join-Path $Sandbox 'sites-enabled/test-site.conf') -Target $site -Force | Out-Null
        $output = apache2ctl configtest 2>&1 | Out-String
        @{ Ok = ($LASTEXITCODE -eq 0 -and $output -match 'Syntax OK'); Output = $output }
    }
    finally {
        Remove-Item (Join-Path $Sandbox 'sites-enabled/test-site.conf') -ErrorAction Ignore
        Remove-Item Env:APACHE_CONFDIR
    }
}

# A throwaway self-signed certificate for sites that name their own files.
function New-TestCertificate([string] $Folder, [string] $Name) {
    $cert = Join-Path $Folder "$Name.pem"; $key = Join-Path $Folder "$Name.key"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$Name" -keyout $key -out $cert 2>$null
    @{ Certificate = $cert; Key = $key }
}

# Facts held to the host link's typed contract (Hosts/Contract), as a host's answer is: a hashtable built by a test
# goes through JSON into the kind's record, so a member renamed, missing or unknown fails the test that built it.
# Kind: WireGuardFacts, ApacheFacts, NftTableFacts, RelayNeedsText.
function ConvertTo-AgentFacts([string] $Kind, $Value) {
    $doc = [System.Text.Json.JsonDocument]::Parse(($Value | ConvertTo-Json -Depth 12 -Compress))
    try { [HomeTunnel.Hosts.Contract.AgentContract]::$Kind.Invoke($doc.RootElement) } finally { $doc.Dispose() }
}

# A recorded answer (tests/Pester/fixtures/agent, tools/Record-AgentAnswers.ps1) with fresh keys in place of its
# {{KEY:n}} placeholders: the text, the read answer and the keys put in.
function Read-AgentFixture([string] $Name) {
    $text = Get-Content -Raw (Join-Path $PSScriptRoot "fixtures/agent/$Name.json")
    $keys = [ordered]@{}
    $text = [regex]::Replace($text, '\{\{KEY:(\d+)\}\}', {
            param($m)
            if (-not $keys.Contains($m.Groups[1].Value)) { $keys[$m.Groups[1].Value] = (New-TunnelKeyPair).PrivateKey.RevealBase64() }
            $keys[$m.Groups[1].Value]
        })
    @{ Text = $text; Answer = [HomeTunnel.Hosts.AgentAnswer]::Parse($text, 'relay'); Keys = @($keys.Values) }
}

# A recorded answer's facts as the kind's record, after an optional edit of them as a hashtable.
function Read-AgentFacts([string] $Name, [string] $Kind, [scriptblock] $Edit) {
    $facts = (Read-AgentFixture $Name).Text | ConvertFrom-Json -AsHashtable -NoEnumerate
    $facts = $facts.Facts
    if ($Edit) { & $Edit $facts }
    ConvertTo-AgentFacts $Kind $facts
}
