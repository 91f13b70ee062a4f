#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, packages and demonstrates HomeTunnel.
.DESCRIPTION
    Build    lays the module out as an importable folder: out/HomeTunnel.
    Test     builds, installs what the tests need (Debian packages when run as root), runs Pester and
             ends with the line "N passed, N failed, N skipped".
    Package  makes out/HomeTunnel.<version>.nupkg.
    Demo     builds and shows the module working (with the lab when run as root).
    Bench    runs bench/ and writes docs/performance.md.
    Clean    removes out/ and the build folders.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    # Pester tags to run or leave out (Test only). Lab tests run when the process is root.
    [string[]] $Tag,
    [string[]] $ExcludeTag,

    # Pester file or folder paths, relative to tests/Pester (Test only).
    [string[]] $TestPath,

    # How many lanes run the files that build labs side by side (Test only; 1 runs them one after another).
    # They mostly wait on the lab's hosts, so the default is one lane per processor, at most 3.
    [ValidateRange(1, 8)]
    [int] $LabLanes = [Math]::Min(3, [Environment]::ProcessorCount)
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$outRoot = Join-Path $root 'out'
$moduleOut = Join-Path $outRoot 'HomeTunnel'
$project = Join-Path $root 'src/HomeTunnel.PowerShell'

# The platforms whose native libsodium is shipped (NativeLibraryLocator.ShippedRuntimes; a test keeps the two equal).
$shippedRuntimes = @(
    'linux-x64', 'linux-arm64', 'linux-arm', 'linux-musl-x64', 'linux-musl-arm64', 'linux-musl-arm',
    'osx-x64', 'osx-arm64', 'win-x64', 'win-x86', 'win-arm64'
)

function Invoke-Native([string] $what, [scriptblock] $command) {
    & $command
    if ($LASTEXITCODE -ne 0) { throw "$what failed (exit $LASTEXITCODE)." }
}

function Get-ModuleVersion {
    # One version, the manifest's: a semantic version (major.minor.patch) that CHANGELOG.md has a section for.
    $version = (Import-PowerShellDataFile (Join-Path $root 'HomeTunnel.psd1')).ModuleVersion
    if ($version -notmatch '^\d+\.\d+\.\d+$') { throw "HomeTunnel.psd1's ModuleVersion '$version' is not a semantic version (major.minor.patch)." }
    $version
}

function Get-ReleaseNotes([string] $Version) {
    <# The release notes the build stamps into the manifest (and so the package): the version, its date and the first
       line of CHANGELOG.md's section for it. A version with no section is not built: what ships is what the log says. #>
    $log = [IO.File]::ReadAllText((Join-Path $root 'CHANGELOG.md'))
    $m = [regex]::Match($log, "(?m)^## $([regex]::Escape($Version))(?: - (?<date>\d{4}-\d{2}-\d{2}))?[ \t]*\r?\n(?<first>[^\r\n]*)")
    if (-not $m.Success) { throw "CHANGELOG.md has no section '## $Version - <date>' for the manifest's version: move the Unreleased entries there (or bump the version) first." }
    $date = if ($m.Groups['date'].Success) { " ($($m.Groups['date'].Value))" } else { '' }
    "$Version$($date): $($m.Groups['first'].Value.Trim()) Every change: CHANGELOG.md in the package."
}

function New-UpdatableHelp([string] $Version) {
    # What Update-Help reads from HelpInfoURI (or -SourcePath): <Module>_<GUID>_HelpInfo.xml, and the help of a
    # culture as <Module>_<GUID>_<culture>_HelpContent.zip (PowerShell 7 takes the zip; Windows PowerShell a cab,
    # which this module, for PowerShell 7.5+, does not need). Written to out/help, to be published at HelpInfoURI.
    $manifest = Import-PowerShellDataFile (Join-Path $root 'HomeTunnel.psd1')
    $helpOut = Join-Path $outRoot 'help'
    if (Test-Path $helpOut) { Remove-Item $helpOut -Recurse -Force }
    $null = New-Item -ItemType Directory $helpOut
    $stem = "HomeTunnel_$($manifest.GUID)"
    Compress-Archive -Path (Join-Path $moduleOut 'en-US/*') -DestinationPath (Join-Path $helpOut "${stem}_en-US_HelpContent.zip")
    # UICultureVersion: four parts, as Update-Help compares them.
    $parts = @($Version.Split('-')[0].Split('.')) + @('0', '0', '0', '0')
    $cultureVersion = ($parts[0..3] -join '.')
    $info = @"
<?xml version="1.0" encoding="utf-8"?>
<HelpInfo xmlns="http://schemas.microsoft.com/powershell/help/2010/05">
  <HelpContentURI>$($manifest.HelpInfoURI)</HelpContentURI>
  <SupportedUICultures>
    <UICulture>
      <UICultureName>en-US</UICultureName>
      <UICultureVersion>$cultureVersion</UICultureVersion>
    </UICulture>
  </SupportedUICultures>
</HelpInfo>
"@
    [IO.File]::WriteAllText((Join-Path $helpOut "${stem}_HelpInfo.xml"), $info)
}

$aheadOfTimeDependencies = 'NSec.Cryptography.dll', 'DiffPlex.dll', 'DnsClient.dll', 'BCrypt-Net-Next.dll'

function Invoke-ReadyToRun([System.Collections.IDictionary] $Assemblies) {
    # Each assembly (source => target) compiled ahead of time (ReadyToRun) for linux-x64 on the runtime of the pwsh that
    # runs this build (the pinned 7.6.9: .NET 10), as PowerShell's own assemblies are: a fresh pwsh compiles none of
    # their methods before running them (the module's own: a first Publish-HomeService compiles ≈ 1,800 fewer methods
    # in the user's process, docs/performance.md figure 13). The IL stays in the file: pwsh 7.5 (.NET 9), Windows and
    # macOS compile it at run time as before. One crossgen2 lookup for them all.
    $tool = & (Join-Path $root 'tools/Get-Crossgen2.ps1')
    foreach ($source in $Assemblies.Keys) {
        # What the code calls: that runtime's assemblies, that engine (the pinned pwsh), the published assemblies beside it.
        $references = @(Join-Path ([System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()) '*.dll'; Join-Path $PSHOME '*.dll'
            Get-ChildItem (Split-Path $source) -Filter *.dll | Where-Object FullName -NE $source | ForEach-Object FullName)
        $arguments = @($source, '-o', $Assemblies[$source], '--targetos', 'linux', '--targetarch', 'x64', '-O') + @($references | ForEach-Object { '-r', $_ })
        $output = & $tool @arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "crossgen2 failed on $source (exit $LASTEXITCODE): $($output | Out-String)" }
    }
}

function Invoke-Build {
    $version = Get-ModuleVersion
    $publish = Join-Path $outRoot 'publish'
    Invoke-Native 'dotnet publish' { dotnet publish $project -c Release -o $publish "-p:Version=$version" --nologo -v quiet }

    if (Test-Path $moduleOut) { Remove-Item $moduleOut -Recurse -Force }
    $deps = New-Item -ItemType Directory -Force (Join-Path $moduleOut 'deps')
    Copy-Item (Join-Path $publish 'HomeTunnel.PowerShell.pdb') $moduleOut
    # Dependencies live in deps/ so that only our load context finds them (see DependencyLoadContext).
    Get-ChildItem $publish -Filter *.dll | Where-Object Name -NE 'HomeTunnel.PowerShell.dll' | Copy-Item -Destination $deps
    # The module, and the dependencies that every change or check runs (keys, the plans' diffs, the DNS probe), compiled
    # ahead of time over the copies; those that only DNS updates use (ARSoft.Tools.Net, BouncyCastle's 7 MB) stay IL.
    $compiled = [ordered]@{ (Join-Path $publish 'HomeTunnel.PowerShell.dll') = (Join-Path $moduleOut 'HomeTunnel.PowerShell.dll') }
    foreach ($name in $aheadOfTimeDependencies) { $compiled[(Join-Path $publish $name)] = Join-Path $deps $name }
    Invoke-ReadyToRun $compiled
    foreach ($rid in $shippedRuntimes) {
        $native = Join-Path $publish "runtimes/$rid/native"
        if (-not (Test-Path $native)) { throw "The published output has no native library for $rid." }
        $target = New-Item -ItemType Directory -Force (Join-Path $deps "runtimes/$rid/native")
        Copy-Item (Join-Path $native '*') $target
    }
    # The package carries what its release notes point at: the README, the CHANGELOG and the LICENSE.
    Copy-Item (Join-Path $root 'HomeTunnel.Format.ps1xml'), (Join-Path $root 'LICENSE'),
        (Join-Path $root 'README.md'), (Join-Path $root 'CHANGELOG.md') $moduleOut
    $manifest = [IO.File]::ReadAllText((Join-Path $root 'HomeTunnel.psd1')).Replace('{{ReleaseNotes}}', (Get-ReleaseNotes $version).Replace("'", "''"))
    [IO.File]::WriteAllText((Join-Path $moduleOut 'HomeTunnel.psd1'), $manifest)
    $helpBuilder = Join-Path $root 'tools/ConvertTo-MamlHelp.ps1'
    if (Test-Path $helpBuilder) {
        & $helpBuilder -DocsPath (Join-Path $root 'docs/en-US') -OutputPath (Join-Path $moduleOut 'en-US/HomeTunnel.PowerShell.dll-Help.xml')
        # The about topic says which version it documents.
        foreach ($about in Get-ChildItem (Join-Path $root 'docs/en-US') -Filter 'about_*.help.txt') {
            $text = [IO.File]::ReadAllText($about.FullName).Replace('{{ModuleVersion}}', $version)
            [IO.File]::WriteAllText((Join-Path $moduleOut "en-US/$($about.Name)"), $text)
        }
        New-UpdatableHelp -Version $version
    }
    Write-Host "Built HomeTunnel $version into $moduleOut"
}

function Get-NuGetPackageFolder {
    $line = dotnet nuget locals global-packages --list
    ($line -replace '^global-packages:\s*', '').Trim()
}

function Test-IsRoot { $IsLinux -and (id -u) -eq '0' }

function Install-TestPrerequisite {
    # The tests use the real tools. On a fresh Debian machine, as root, install what is missing.
    $needed = [ordered]@{
        wg = 'wireguard-tools'; 'wireguard-go' = 'wireguard-go'; apache2ctl = 'apache2'; sshd = 'openssh-server'
        ip = 'iproute2'; nft = 'nftables'; ping = 'iputils-ping'; curl = 'curl'; dnsmasq = 'dnsmasq'
        pebble = 'pebble'; conntrack = 'conntrack'; openssl = 'openssl'; sudo = 'sudo'
        # The lab's authoritative DNS server that takes RFC 2136 updates signed with TSIG (Dns.Lab.Tests.ps1).
        named = 'bind9'; dig = 'bind9-dnsutils'
        # The booted systemd hosts (Systemd.Lab.Tests.ps1): containers, their Debian root, their repository.
        'systemd-nspawn' = 'systemd-container'; debootstrap = 'debootstrap'; 'dpkg-scanpackages' = 'dpkg-dev'; python3 = 'python3'
    }
    $missing = @($needed.Keys | Where-Object {
            -not (Get-Command $_ -ErrorAction Ignore) -and -not (Test-Path "/usr/sbin/$_") -and -not (Test-Path "/usr/bin/$_")
        } | ForEach-Object { $needed[$_] })
    if ($missing.Count -eq 0) { return }
    if ((Test-IsRoot) -and (Get-Command apt-get -ErrorAction Ignore)) {
        Write-Host "Installing Debian packages the tests use: $($missing -join ' ')"
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native 'apt-get update' { apt-get update -qq }
        Invoke-Native 'apt-get install' { apt-get install -y -qq --no-install-recommends @missing }
    }
    else {
        Write-Warning "Missing tools ($($missing -join ', ')): tests that use them will fail. Run as root on Debian to have them installed."
    }
}

function Get-TestFile([string[]] $Paths) {
    foreach ($p in $Paths) {
        if (Test-Path -LiteralPath $p -PathType Container) { Get-ChildItem -LiteralPath $p -Recurse -Filter '*.Tests.ps1' | ForEach-Object FullName }
        else { (Resolve-Path -LiteralPath $p).Path }
    }
}

function Get-LabLane([string[]] $Files, [int] $Count) {
    <# The lab files in $Count lanes of about equal seconds. Files whose labs use the same address plan
       (-Index N) share a lane: the runner's namespace routes to each plan's addresses. The seconds are the
       last run's here (out/lab-seconds.json), else the table in tests/LabSeconds.psd1, else 60. #>
    $seconds = (Import-PowerShellDataFile (Join-Path $root 'tests/LabSeconds.psd1')).Seconds
    $measured = Join-Path $outRoot 'lab-seconds.json'
    if (Test-Path $measured) { (Get-Content -Raw $measured | ConvertFrom-Json).PSObject.Properties | ForEach-Object { $seconds[$_.Name] = $_.Value } }
    $groups = [System.Collections.Generic.List[object]]::new()
    foreach ($f in $Files) {
        $indexes = @([regex]::Matches((Get-Content -Raw -LiteralPath $f), '-Index\s+(\d+)') | ForEach-Object { [int] $_.Groups[1].Value })
        $group = [pscustomobject]@{ Files = @($f); Indexes = $indexes }
        foreach ($other in @($groups | Where-Object { @($_.Indexes | Where-Object { $_ -in $indexes }).Count })) {
            $group.Files += $other.Files; $group.Indexes += $other.Indexes; $null = $groups.Remove($other)
        }
        $groups.Add($group)
    }
    $lanes = @(1..$Count | ForEach-Object { [pscustomobject]@{ Files = @(); Seconds = 0.0 } })
    $weighed = $groups | ForEach-Object {
        $s = 0.0; foreach ($f in $_.Files) { $leaf = Split-Path $f -Leaf; $s += if ($seconds.Contains($leaf)) { [double] $seconds[$leaf] } else { 60 } }
        [pscustomobject]@{ Files = $_.Files; Seconds = $s }
    }
    foreach ($g in @($weighed | Sort-Object Seconds -Descending)) {
        $lane = $lanes | Sort-Object Seconds | Select-Object -First 1
        $lane.Files += $g.Files; $lane.Seconds += $g.Seconds
    }
    $lanes | Where-Object { $_.Files.Count }
}

function Start-TestLane($Lanes, [string] $Pester, [string[]] $Include, [string[]] $Exclude) {
    <# Starts one pwsh per lane (tests/Invoke-TestLane.ps1), its output going to a log; Wait-TestLane shows it. #>
    $pwsh = [Environment]::ProcessPath
    $pre = if ((Split-Path $pwsh -Leaf) -in 'dotnet', 'dotnet.exe') { @([System.Reflection.Assembly]::GetEntryAssembly().Location) } else { @() }
    $dir = Join-Path $outRoot 'lanes'
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force }
    $null = New-Item -ItemType Directory $dir
    $running = @(for ($i = 0; $i -lt @($Lanes).Count; $i++) {
        $lane = @($Lanes)[$i]
        $n = $i + 1
        Write-Host ("[lab {0}] {1} file(s), about {2:0} s: {3}" -f $n, $lane.Files.Count, $lane.Seconds, (($lane.Files | ForEach-Object { Split-Path $_ -Leaf }) -join ', '))
        $arguments = @($pre) + @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tests/Invoke-TestLane.ps1'),
            '-Path', ($lane.Files -join ','), '-ResultPath', (Join-Path $dir "lane$n.json"), '-PesterPath', $Pester)
        if ($Include) { $arguments += '-Tag', ($Include -join ',') }
        if ($Exclude) { $arguments += '-ExcludeTag', ($Exclude -join ',') }
        $log = Join-Path $dir "lane$n.log"
        $process = Start-Process -FilePath $pwsh -ArgumentList $arguments -RedirectStandardOutput $log -RedirectStandardError "$log.err" -PassThru
        [pscustomobject]@{ Number = $n; Process = $process; Log = $log; Shown = 0L; Rest = ''; Directory = $dir }
    })
    $running
}

function Wait-TestLane($Running) {
    <# Shows each lane's lines as they come (prefixed with its number) and returns each lane's result. #>
    $running = @($Running)
    $dir = $running[0].Directory
    # Each lane's lines as they come, then what is left once it ended.
    do {
        $alive = @($running | Where-Object { -not $_.Process.HasExited }).Count
        foreach ($r in $running) {
            if (-not (Test-Path $r.Log)) { continue }
            $stream = [IO.File]::Open($r.Log, 'Open', 'Read', 'ReadWrite')
            try {
                $null = $stream.Seek($r.Shown, 'Begin')
                $text = [IO.StreamReader]::new($stream).ReadToEnd()
            }
            finally { $stream.Dispose() }
            $r.Shown += [Text.Encoding]::UTF8.GetByteCount($text)
            $lines = ($r.Rest + $text) -split "`n"
            $r.Rest = $lines[-1]
            foreach ($line in $lines[0..($lines.Count - 2)]) { if ($lines.Count -gt 1) { Write-Host "[lab $($r.Number)] $($line.TrimEnd("`r"))" } }
        }
        if ($alive) { $null = $running[0].Process.WaitForExit(1000) }
    } while ($alive)
    foreach ($r in $running) {
        if ($r.Rest) { Write-Host "[lab $($r.Number)] $($r.Rest)" }
        $err = Get-Content -Raw -LiteralPath "$($r.Log).err" -ErrorAction Ignore
        if ($err) { Write-Host "[lab $($r.Number)] (stderr) $err" }
        $resultPath = Join-Path $dir "lane$($r.Number).json"
        if (Test-Path $resultPath) { Get-Content -Raw $resultPath | ConvertFrom-Json }
        else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; Result = 'Failed'; Failures = @("lab lane $($r.Number) ended (exit $($r.Process.ExitCode)) without a result"); Seconds = $null } }
    }
}

function Invoke-UnitTest {
    $project = Join-Path $root 'tests/HomeTunnel.Tests/HomeTunnel.Tests.csproj'
    $output = @(dotnet test $project --nologo 2>&1 | ForEach-Object { "$_" })
    $output | Where-Object { $_ -match '^\s*(Failed|Passed|Skipped)[ !]|Error Message|^\s+(Assert|Expected|at HomeTunnel)' } | Select-Object -First 200 | ForEach-Object { Write-Host $_ }
    $summary = $output | Where-Object { $_ -match 'Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)' } | Select-Object -Last 1
    if (-not $summary) {
        $output | Select-Object -Last 30 | ForEach-Object { Write-Host $_ }
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    $null = $summary -match 'Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)'
    Write-Host "C# tests (tests/HomeTunnel.Tests): $($Matches[2]) passed, $($Matches[1]) failed, $($Matches[3]) skipped"
    [pscustomobject]@{ Passed = [int]$Matches[2]; Failed = [int]$Matches[1] + [int]($LASTEXITCODE -ne 0 -and [int]$Matches[1] -eq 0); Skipped = [int]$Matches[3] }
}

function Invoke-Test {
    Invoke-Build
    Install-TestPrerequisite
    Invoke-Native 'dotnet restore (Pester)' { dotnet restore (Join-Path $root 'tests/tools.csproj') --nologo -v quiet }
    $pester = Join-Path (Get-NuGetPackageFolder) 'pester/6.2.0/tools/Pester.psd1'
    Import-Module $pester -Force

    $paths = @(if ($TestPath) { ($TestPath -split ',') | Where-Object { $_ -ne 'HomeTunnel.Tests' } | ForEach-Object { Join-Path $root "tests/Pester/$_" } } else { Join-Path $root 'tests/Pester' })
    $exclude = @($ExcludeTag | Where-Object { $_ })
    if (-not (Test-IsRoot)) {
        Write-Warning 'Not root: the Lab tests (network namespaces) are left out. Run as root to run them.'
        $exclude += 'Lab'
    }
    $env:HOMETUNNEL_MODULE = $moduleOut
    # The files that build labs run in lanes side by side (when there is more than one of them and Lab is not left out).
    $files = @(Get-TestFile $paths)
    $labFiles = @(if ($LabLanes -gt 1 -and 'Lab' -notin $exclude) { $files | Where-Object { (Get-Content -Raw -LiteralPath $_) -match 'Start-Lab |LabSeed\.ps1' } })
    if ($labFiles.Count -lt 2) { $labFiles = @() }
    $rest = @($files | Where-Object { $_ -notin $labFiles })

    $clock = [Diagnostics.Stopwatch]::StartNew()
    $passed = 0; $failed = 0; $skipped = 0; $failures = @()
    # The lab lanes start first and run while the other files run here (their lines come once those are done).
    $lanes = $null
    if ($labFiles) {
        # The pwsh the lab's sshd starts, installed once before the lanes would race to install it.
        Import-Module (Join-Path $root 'tests/Lab/Lab.psm1') -Force
        $null = Get-LabPwsh
        $lanes = Start-TestLane @(Get-LabLane $labFiles $LabLanes) $pester $Tag $exclude
    }
    # The C# tests (the host link's contract over the recorded answers, the planners' reviewed plans): no root, no
    # runspace; run with the whole suite (or -TestPath HomeTunnel.Tests), while the lab lanes run.
    if ((-not $TestPath -and -not $Tag) -or ($TestPath -split ',') -contains 'HomeTunnel.Tests') {
        $unit = Invoke-UnitTest
        $passed += $unit.Passed; $failed += $unit.Failed; $skipped += $unit.Skipped
    }
    if ($rest) {
        $config = New-PesterConfiguration
        $config.Run.Path = $rest
        $config.Run.PassThru = $true
        $config.Output.Verbosity = 'Normal'
        if ($Tag) { $config.Filter.Tag = $Tag }
        if ($exclude) { $config.Filter.ExcludeTag = $exclude }
        $result = Invoke-Pester -Configuration $config
        $passed += $result.PassedCount; $skipped += $result.SkippedCount
        # A file that fails before its tests run (discovery, BeforeAll) counts as failed, not as nothing.
        $failed += $result.FailedCount + $result.FailedContainersCount + $result.FailedBlocksCount
        if ($result.Result -ne 'Passed' -and $failed -eq 0) { $failed = 1 }
    }
    if ($lanes) {
        $results = @(Wait-TestLane $lanes)
        $measured = [ordered]@{}
        foreach ($r in $results) {
            $passed += $r.Passed; $failed += $r.Failed; $skipped += $r.Skipped; $failures += @($r.Failures)
            if ($r.Result -ne 'Passed' -and $r.Failed -eq 0) { $failed += 1; $failures += 'a lab lane did not pass' }
            if ($r.Seconds) { $r.Seconds.PSObject.Properties | ForEach-Object { $measured[$_.Name] = $_.Value } }
        }
        if ($measured.Count) { $measured | ConvertTo-Json | Set-Content (Join-Path $outRoot 'lab-seconds.json') }
        if ($failures) { Write-Host "Failed in the lab lanes:"; $failures | ForEach-Object { Write-Host "  $_" } }
    }
    Write-Host ("Tests completed in {0:0.0} s" -f $clock.Elapsed.TotalSeconds)
    # The plain closing line CI reads.
    "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Package {
    Invoke-Build
    & (Join-Path $root 'tools/New-ModulePackage.ps1') -ModulePath $moduleOut -DestinationPath (Join-Path $outRoot 'repo') |
        ForEach-Object { Write-Host "Packaged $($_.FullName)" }
}

function Invoke-Demo {
    Invoke-Build
    if (Test-IsRoot) { Install-TestPrerequisite }   # the lab demo uses the same packages as the lab tests
    $demo = Join-Path $root 'tools/Demo.ps1'
    & $demo -ModulePath $moduleOut
}

function Invoke-Bench {
    Invoke-Build
    if (Test-IsRoot) {
        Install-TestPrerequisite
        if (-not (Get-Command ansible-playbook -ErrorAction Ignore) -and (Get-Command apt-get -ErrorAction Ignore)) {
            Invoke-Native 'apt-get install ansible' { apt-get install -y -qq --no-install-recommends ansible }
        }
    }
    & (Join-Path $root 'bench/Invoke-Benchmark.ps1') -ModulePath $moduleOut -ReportPath (Join-Path $root 'docs/performance.md')
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Package' { Invoke-Package }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'Clean' {
        foreach ($p in $outRoot, (Join-Path $project 'bin'), (Join-Path $project 'obj'), (Join-Path $root 'tests/obj'), (Join-Path $root 'tests/bin')) {
            if (Test-Path $p) { Remove-Item $p -Recurse -Force }
        }
    }
}
