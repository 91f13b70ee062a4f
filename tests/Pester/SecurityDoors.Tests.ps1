# docs/security.md's door table names every parameter of every cmdlet: a new parameter is not done until its row says
# who controls it, what it can reach and which invariant holds.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $doc = Get-Content -Raw (Join-Path $RepoRoot 'docs/security.md')
    $section = $doc.Substring($doc.IndexOf('## The door table'))
    $section = $section.Substring(0, $section.IndexOf('### Files and text HomeTunnel reads'))
    $named = [regex]::Matches($section, '`-([A-Za-z]+)`') | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'The door table' {
    It 'names every parameter of <Name>' -ForEach @(Get-Command -Module HomeTunnel | ForEach-Object { @{ Name = $_.Name } }) {
        $missing = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common -and $_ -notin $named }
        $missing | Should -BeNullOrEmpty -Because "docs/security.md's door table must say who controls each parameter of $Name"
    }

    It 'gives every row a controller, a reach and an invariant' {
        $rows = $section -split "`n" | Where-Object { $_ -match '^\| `-' }
        $rows.Count | Should -BeGreaterThan 10
        foreach ($row in $rows) { ($row.Trim('|').Split('|') | Where-Object { $_.Trim() }).Count | Should -Be 4 -Because $row }
    }
}
