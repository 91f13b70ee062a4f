<#
.SYNOPSIS
    The path of crossgen2, the SDK's ReadyToRun compiler, for this machine: the package the module's project downloads
    (a PackageDownload for the SDK's RID, at the version it names), restored into the NuGet cache when absent. Used by
    build.ps1 (the module) and tests/Lab (the lab's pwsh).
#>
$ErrorActionPreference = 'Stop'
$project = Join-Path $PSScriptRoot '../src/HomeTunnel.PowerShell/HomeTunnel.PowerShell.csproj'
$version = [regex]::Match([IO.File]::ReadAllText($project), 'Crossgen2\.[^"]*" Version="\[([^\]]+)\]"').Groups[1].Value
if (-not $version) { throw "$project names no crossgen2 PackageDownload." }
$cache = ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
$find = {
    Get-ChildItem $cache -Directory -Filter 'microsoft.netcore.app.crossgen2.*' | ForEach-Object {
        Get-ChildItem (Join-Path $_.FullName "$version/tools") -File -Filter 'crossgen2*' -ErrorAction Ignore } |
        Where-Object Name -In 'crossgen2', 'crossgen2.exe' | Select-Object -First 1
}
$tool = & $find
if (-not $tool) {
    dotnet restore $project --nologo -v quiet | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "dotnet restore $project failed (exit $LASTEXITCODE)." }
    $tool = & $find
}
if (-not $tool) { throw "No crossgen2 $version in the NuGet package cache ($cache) after restoring $project." }
$tool.FullName
