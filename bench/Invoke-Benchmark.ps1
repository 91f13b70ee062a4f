<#
.SYNOPSIS
    Runs the benchmarks side by side with the alternatives and writes docs/performance.md.
    Offline figures always; the lab figures (real relay, Ansible) when run as root with the lab's packages.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ReportPath,
    [int] $Runs = 3
)
$ErrorActionPreference = 'Stop'
$rows = [System.Collections.Generic.List[object]]::new()
Write-Host 'Offline: keys, render + validate, parse, import'
foreach ($r in & (Join-Path $PSScriptRoot 'Offline.ps1') -ModulePath $ModulePath 2>$null) { $rows.Add($r); $r | Format-List | Out-Host }
$isRoot = $IsLinux -and (id -u) -eq '0'
if ($isRoot -and (Get-Command ansible-playbook -ErrorAction Ignore)) {
    Write-Host 'Lab: apply vs Ansible, scale, Test-TunnelPath'
    foreach ($r in & (Join-Path $PSScriptRoot 'Lab.ps1') -ModulePath $ModulePath -Runs $Runs) { $rows.Add($r); $r | Format-List | Out-Host }
}
if ($isRoot) {
    Write-Host 'Lab: the host link, one change warm and cold, Publish warm and cold'
    . (Join-Path $PSScriptRoot 'Baseline.ps1')
    $baseline = Get-BaselineModule
    foreach ($r in & (Join-Path $PSScriptRoot 'HostLink.ps1') -ModulePath $ModulePath -Runs $Runs -BaselineModulePath $baseline) { $rows.Add($r); $r | Format-List | Out-Host }
}
if ($isRoot) {
    Write-Host 'Lab: a TCP forward beside the Apache path and the tunnel alone'
    foreach ($r in & (Join-Path $PSScriptRoot 'Forward.ps1') -ModulePath $ModulePath) { $rows.Add($r); $r | Format-List | Out-Host }
}
if ($isRoot) {
    Write-Host 'Lab: a key rotation under pings, against the hand way'
    foreach ($r in & (Join-Path $PSScriptRoot 'Rotation.ps1') -ModulePath $ModulePath) { $rows.Add($r); $r | Format-List | Out-Host }
}
if ($isRoot) {
    Write-Host 'Lab: a relay that moved, found again by the watch against reresolve-dns.sh'
    foreach ($r in & (Join-Path $PSScriptRoot 'MovedRelay.ps1') -ModulePath $ModulePath) { $rows.Add($r); $r | Format-List | Out-Host }
}
if ($isRoot -and (Get-Command named -ErrorAction Ignore)) {
    Write-Host 'Lab: one service through two relays, one of them dead'
    foreach ($r in & (Join-Path $PSScriptRoot 'Failover.ps1') -ModulePath $ModulePath) { $rows.Add($r); $r | Format-List | Out-Host }
}
if ($isRoot -and (Get-Command systemd-nspawn -ErrorAction Ignore)) {
    Write-Host 'Lab: bare hosts to a published service (booted systemd containers)'
    foreach ($r in & (Join-Path $PSScriptRoot 'Bootstrap.ps1') -ModulePath $ModulePath) { $rows.Add($r); $r | Format-List | Out-Host }
}
else {
    Write-Warning 'The lab figures need root and ansible (apt-get install ansible): left out of this run.'
}

$machine = "$([Environment]::ProcessorCount) cores, $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), .NET $([Environment]::Version), pwsh $($PSVersionTable.PSVersion)"
$lines = [System.Collections.Generic.List[string]]::new()
$lines.Add('# Performance')
$lines.Add('')
$lines.Add("Measured by ``build.ps1 -Task Bench`` on $(Get-Date -Format 'yyyy-MM-dd') ($machine). Each figure runs HomeTunnel and")
$lines.Add('the alternative side by side in the same run; the ratio (HomeTunnel ÷ alternative, lower is faster)')
$lines.Add('is the result, the milliseconds are context. Medians of several runs.')
$lines.Add('')
$lines.Add('| figure | HomeTunnel ms | alternative | alternative ms | ratio | target | met | note |')
$lines.Add('| --- | ---: | --- | ---: | ---: | --- | --- | --- |')
foreach ($r in $rows) {
    $cells = @($r.Figure, $r.HomeTunnelMs, $r.Alternative, $r.AlternativeMs, $r.Ratio, $r.Target, $(if ($r.Met) { 'yes' } else { '**no**' }), $r.Note) | ForEach-Object { "$_".Replace('|', '\|') }
    $lines.Add('| ' + ($cells -join ' | ') + ' |')
}
$notes = Join-Path $PSScriptRoot 'notes.md'
if (Test-Path $notes) { $lines.Add(''); foreach ($l in Get-Content $notes) { $lines.Add($l) } }
Set-Content -LiteralPath $ReportPath -Value $lines -Encoding utf8NoBOM
Write-Host "Wrote $ReportPath"
