<#
.SYNOPSIS
    Runs one lane of the lab test files in a pwsh of its own (build.ps1 -Task Test starts one per lane).
.DESCRIPTION
    The lab files spend most of their time waiting on the lab's hosts (timers, NAT timeouts, handshakes), so
    build.ps1 runs them in lanes side by side. Files that build labs with the same address plan (-Index) share
    a lane, since the runner's namespace routes to each plan's addresses. The lane writes its counts, the names
    of its failures and each file's seconds to ResultPath as JSON, for build.ps1 to add up.
#>
param(
    [Parameter(Mandatory)] [string[]] $Path,
    [Parameter(Mandatory)] [string] $ResultPath,
    [Parameter(Mandatory)] [string] $PesterPath,
    [string[]] $Tag,
    [string[]] $ExcludeTag
)
$ErrorActionPreference = 'Stop'
# Under pwsh -File each list comes as one comma-separated argument.
$Path = $Path -split ','
$Tag = @($Tag -split ',' | Where-Object { $_ })
$ExcludeTag = @($ExcludeTag -split ',' | Where-Object { $_ })
Import-Module $PesterPath -Force

$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Normal'
if ($Tag) { $config.Filter.Tag = $Tag }
if ($ExcludeTag) { $config.Filter.ExcludeTag = $ExcludeTag }
$result = Invoke-Pester -Configuration $config

$seconds = [ordered]@{}
foreach ($c in $result.Containers) { $seconds[(Split-Path $c.Item -Leaf)] = [Math]::Round($c.Duration.TotalSeconds, 1) }
[ordered]@{
    Passed  = $result.PassedCount
    # A file that fails before its tests run (discovery, BeforeAll) counts as failed, not as nothing.
    Failed  = $result.FailedCount + $result.FailedContainersCount + $result.FailedBlocksCount
    Skipped = $result.SkippedCount
    Result  = "$($result.Result)"
    Failures = @($result.Failed | ForEach-Object { $_.ExpandedPath }) + @($result.FailedContainers | ForEach-Object { "$($_.Item)" })
    Seconds = $seconds
} | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultPath
