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
    [string[]] $TestPath
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
    (Import-PowerShellDataFile (Join-Path $root 'HomeTunnel.psd1')).ModuleVersion
}

function Invoke-Build {
    $version = Get-ModuleVersion
    $publish = Join-Path $outRoot 'publish'
    Invoke-Native 'dotnet publish' { dotnet publish $project -c Release -o $publish "-p:Version=$version" --nologo -v quiet }

    if (Test-Path $moduleOut) { Remove-Item $moduleOut -Recurse -Force }
    $deps = New-Item -ItemType Directory -Force (Join-Path $moduleOut 'deps')
    Copy-Item (Join-Path $publish 'HomeTunnel.PowerShell.dll'), (Join-Path $publish 'HomeTunnel.PowerShell.pdb') $moduleOut
    # Dependencies live in deps/ so that only our load context finds them (see DependencyLoadContext).
    Get-ChildItem $publish -Filter *.dll | Where-Object Name -NE 'HomeTunnel.PowerShell.dll' | Copy-Item -Destination $deps
    foreach ($rid in $shippedRuntimes) {
        $native = Join-Path $publish "runtimes/$rid/native"
        if (-not (Test-Path $native)) { throw "The published output has no native library for $rid." }
        $target = New-Item -ItemType Directory -Force (Join-Path $deps "runtimes/$rid/native")
        Copy-Item (Join-Path $native '*') $target
    }
    Copy-Item (Join-Path $root 'HomeTunnel.psd1'), (Join-Path $root 'HomeTunnel.Format.ps1xml'), (Join-Path $root 'LICENSE') $moduleOut
    $helpBuilder = Join-Path $root 'tools/ConvertTo-MamlHelp.ps1'
    if (Test-Path $helpBuilder) {
        & $helpBuilder -DocsPath (Join-Path $root 'docs/en-US') -OutputPath (Join-Path $moduleOut 'en-US/HomeTunnel.PowerShell.dll-Help.xml')
        Copy-Item (Join-Path $root 'docs/en-US/about_*.help.txt') (Join-Path $moduleOut 'en-US')
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

function Invoke-Test {
    Invoke-Build
    Install-TestPrerequisite
    Invoke-Native 'dotnet restore (Pester)' { dotnet restore (Join-Path $root 'tests/tools.csproj') --nologo -v quiet }
    $pester = Join-Path (Get-NuGetPackageFolder) 'pester/6.2.0/tools/Pester.psd1'
    Import-Module $pester -Force

    $config = New-PesterConfiguration
    $config.Run.Path = if ($TestPath) { ($TestPath -split ',') | ForEach-Object { Join-Path $root "tests/Pester/$_" } } else { Join-Path $root 'tests/Pester' }
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Normal'
    if ($Tag) { $config.Filter.Tag = $Tag }
    $exclude = @($ExcludeTag | Where-Object { $_ })
    if (-not (Test-IsRoot)) {
        Write-Warning 'Not root: the Lab tests (network namespaces) are left out. Run as root to run them.'
        $exclude += 'Lab'
    }
    if ($exclude) { $config.Filter.ExcludeTag = $exclude }

    $env:HOMETUNNEL_MODULE = $moduleOut
    $result = Invoke-Pester -Configuration $config
    # The plain closing line CI reads.
    # A file that fails before its tests run (discovery, BeforeAll) counts as failed, not as nothing.
    $failed = $result.FailedCount + $result.FailedContainersCount + $result.FailedBlocksCount
    "$($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
    if ($failed -gt 0 -or $result.Result -ne 'Passed') { exit 1 }
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
