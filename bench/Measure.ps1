# Shared by the benchmarks: timing (median of runs) and result rows.
function Measure-Median([scriptblock] $Block, [int] $Runs = 5, [int] $Warmup = 1) {
    for ($i = 0; $i -lt $Warmup; $i++) { $null = & $Block }
    $times = @(for ($i = 0; $i -lt $Runs; $i++) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $null = & $Block
        $clock.Elapsed.TotalMilliseconds
    })
    Get-Median $times
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $sorted[[int][math]::Floor($sorted.Count / 2)]
}

function New-BenchRow {
    param([string] $Figure, [double] $HomeTunnelMs, [string] $Alternative, [double] $AlternativeMs, [string] $Target, [bool] $Met, [string] $Note = '')
    [pscustomobject]@{
        Figure = $Figure; HomeTunnelMs = [math]::Round($HomeTunnelMs, 1); Alternative = $Alternative
        AlternativeMs = [math]::Round($AlternativeMs, 1)
        Ratio = if ($AlternativeMs -gt 0) { [math]::Round($HomeTunnelMs / $AlternativeMs, 3) } else { $null }
        Target = $Target; Met = $Met; Note = $Note
    }
}
