# Reading the platyPS pages in docs/en-US (shared by the help tests and their lab half).
$script:DocsPath = Join-Path $PSScriptRoot '../../docs/en-US'

function Read-HelpPage([string] $Path) {
    if (-not (Test-Path $Path)) { return $null }
    $text = Get-Content -Raw -LiteralPath $Path
    $sections = [ordered]@{}
    $current = $null; $fence = $false
    foreach ($line in $text -split "`n") {
        if ($line -match '^```') { $fence = -not $fence }
        if (-not $fence -and $line -match '^## (.+)$') { $current = $Matches[1].Trim(); $sections[$current] = ''; continue }
        if ($current) { $sections[$current] += "$line`n" }
    }
    $parameters = [ordered]@{}
    if ($sections.Contains('PARAMETERS')) {
        foreach ($block in ($sections['PARAMETERS'] -split '(?m)^### ')) {
            if ($block -notmatch '^-(\w+)') { continue }
            $pname = $Matches[1]
            $yaml = if ($block -match '(?s)```yaml\n(.*?)```') { $Matches[1] } else { '' }
            $description = ($block -replace '(?s)```yaml.*?```', '' -replace '^-\w+\s*', '').Trim()
            $parameters[$pname] = [pscustomobject]@{ Description = $description; Yaml = $yaml }
        }
    }
    [pscustomobject]@{ Text = $text; Sections = $sections; Parameters = $parameters }
}

function Get-DocExample([string] $Name = '*') {
    # Every example of every page: the code, whether it needs the lab's hosts ($vps, $box), or is marked
    # as not run (it would change this machine's scheduler).
    foreach ($file in Get-ChildItem $script:DocsPath -Filter "$Name.md") {
        $page = Read-HelpPage $file.FullName
        foreach ($block in ($page.Sections['EXAMPLES'] -split '(?m)^### ') | Where-Object { $_ -match '^Example' }) {
            $title = ($block -split "`n")[0].Trim()
            $code = if ($block -match '(?s)```powershell\n(.*?)```') { $Matches[1] } else { '' }
            $remarks = ($block -replace '(?s)```powershell.*?```', '' -replace '^[^\n]*\n', '').Trim()
            [pscustomobject]@{
                Name = $file.BaseName; Title = $title; Code = $code; Remarks = $remarks
                NeedsHost = $code -match '\$vps|\$box'
                Skip = $code -match '# not run by the docs test'
            }
        }
    }
}

function Invoke-DocExample([string] $Code, [string] $Directory, [hashtable] $Variables = @{}) {
    # Runs one example in its own scope and folder, with every error terminating (an example that wants
    # an error says -ErrorAction SilentlyContinue itself); returns the error, or nothing.
    Push-Location $Directory
    try {
        $block = [scriptblock]::Create($Code)
        & {
            param($Block, $Variables)
            $ErrorActionPreference = 'Stop'
            foreach ($k in $Variables.Keys) { Set-Variable -Name $k -Value $Variables[$k] }
            $null = . $Block *>&1 | Out-String
        } $block $Variables
    }
    catch { $_ }
    finally { Pop-Location }
}
