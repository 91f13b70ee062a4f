# The build a benchmark compares this one with, side by side in the same run: the module as it was at a commit
# (by default 301b4ff, the build issue 27 measured: the last before its host link work), built once from a git worktree and kept under
# out/baseline/<commit>/ (built again when absent).
function Get-BaselineModule([string] $Ref = '301b4ff') {
    $root = Split-Path $PSScriptRoot -Parent
    $commit = (git -C $root rev-parse --verify "$Ref^{commit}").Trim()
    if ($LASTEXITCODE -ne 0) { throw "No commit $Ref in this clone." }
    $cache = Join-Path $root "out/baseline/$commit"
    $module = Join-Path $cache 'HomeTunnel/HomeTunnel.psd1'
    if (Test-Path $module) { return $module }
    $tree = Join-Path ([IO.Path]::GetTempPath()) "hometunnel-baseline-$commit"
    git -C $root worktree add --force --detach $tree $commit 2>&1 | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "git worktree add $commit failed." }
    try {
        & dotnet pwsh -NoProfile -File (Join-Path $tree 'build.ps1') -Task Build | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "The baseline $commit did not build." }
        $null = New-Item -ItemType Directory -Force $cache
        Copy-Item -Recurse (Join-Path $tree 'out/HomeTunnel') $cache
    }
    finally {
        git -C $root worktree remove --force $tree 2>&1 | Out-Null
    }
    $module
}
