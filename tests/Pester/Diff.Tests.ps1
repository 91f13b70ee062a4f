# What -WhatIf and the confirm prompt show of a file: unified hunks with three lines of context (HostDiff), so a
# small change in a long file is a small diff. (Redaction of what the diff shows: Security.Tests.)
BeforeAll {
    . $PSScriptRoot/Common.ps1
    function Get-Diff([string[]] $Old, [string[]] $New) { [HomeTunnel.Hosts.HostDiff]::Lines(($Old -join "`n"), ($New -join "`n"), '/etc/x.conf', 3) -split "`n" }
    $twenty = 1..20 | ForEach-Object { "line $_" }
}

Describe 'A diff of a file' {
    It 'shows a two-line change in a 20-line file as two hunks of at most 10 lines' {
        $new = $twenty.Clone(); $new[1] = 'line two'; $new[18] = 'line nineteen'
        $diff = Get-Diff $twenty $new
        $hunks = ($diff | Select-Object -Skip 2) -join "`n" -split '(?m)^(?=@@ )' | Where-Object { $_ }
        $hunks | Should -HaveCount 2
        foreach ($h in $hunks) { @($h -split "`n" | Where-Object { $_ }).Count | Should -BeLessOrEqual 10 }
        $diff | Should -Contain '@@ -1,5 +1,5 @@'
        $diff | Should -Contain '-line 2'
        $diff | Should -Contain '+line two'
        $diff | Should -Contain '@@ -16,5 +16,5 @@'
        $diff | Should -Not -Contain ' line 10'
    }

    It 'joins changes whose context touches into one hunk' {
        $new = $twenty.Clone(); $new[4] = 'five'; $new[8] = 'nine'
        $diff = Get-Diff $twenty $new
        @($diff | Where-Object { $_ -like '@@*' }) | Should -Be @('@@ -2,11 +2,11 @@')
    }

    It 'shows a new file as one hunk of additions, and lines taken out as removals' {
        Get-Diff @() @('a', 'b') | Select-Object -Skip 2 | Should -Be @('@@ -0,0 +1,2 @@', '+a', '+b')
        Get-Diff @('a', 'b', 'c') @('a', 'c') | Select-Object -Skip 2 | Should -Be @('@@ -1,3 +1,2 @@', ' a', '-b', ' c')
    }

    It 'keeps a relay''s file of 5,000 peers to the one peer that changed' {
        $peers = foreach ($i in 1..5000) { '[Peer]'; "PublicKey = key$i"; "AllowedIPs = 10.0.$([int]($i / 250)).$($i % 250)/32"; '' }
        $new = $peers.Clone(); $new[2001] = 'PublicKey = changed'
        $diff = Get-Diff $peers $new
        $diff.Count | Should -BeLessOrEqual 12
        $diff | Should -Contain '+PublicKey = changed'
    }
}
