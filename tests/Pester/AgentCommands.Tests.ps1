# The agent runs in three kinds of process on a host: the session's (sshd's pwsh), a cold worker's and, in a test, a
# local runspace. A cmdlet from any module but the engine's own (Microsoft.PowerShell.Core) makes PowerShell import that
# module the first time the process runs it: ≈ 0.1-0.2 s and a tenth of a core-second per module per process, paid by
# every fresh session and cold worker of a Publish (measured: `pwsh -c exit` 0.77 s, with one Join-Path 0.95 s).
# So the agent calls .NET for paths, sleeps, picks and maxima, and this file keeps it so.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    # The text the module sends, as the build joined it (the same the other agent tests read).
    $script:AgentText = [HomeTunnel.Hosts.AgentRequest]::AgentText

    function Get-ModuleCmdletUse([string] $Text) {
        # Each command the text calls that is a cmdlet of a module other than the engine's, as "Name (Module)".
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, [ref]$null, [ref]$errors)
        if ($errors) { throw "The text does not parse: $($errors[0].Message)" }
        $defined = @($ast.FindAll({ $args[0] -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true).Name)
        $names = $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true) |
            ForEach-Object { $_.GetCommandName() } | Where-Object { $_ -and $_ -notin $defined } | Sort-Object -Unique
        foreach ($n in $names) {
            $c = Get-Command $n -CommandType Cmdlet, Function, Alias -ErrorAction Ignore | Select-Object -First 1
            if ($c -and $c.CommandType -eq 'Alias') { $c = $c.ResolvedCommand }
            if ($c -and $c.ModuleName -ne 'Microsoft.PowerShell.Core') { "$n ($($c.ModuleName))" }
        }
    }
}

Describe 'The agent''s commands' {
    It 'finds the commands the agent calls (the scan itself works)' {
        Get-ModuleCmdletUse 'function Own { }; Own; Join-Path a b; Where-Object { $_ }; Start-Sleep 1; Select-Object -First 1; wg show' |
            Should -Be @('Join-Path (Microsoft.PowerShell.Management)', 'Select-Object (Microsoft.PowerShell.Utility)', 'Start-Sleep (Microsoft.PowerShell.Utility)')
    }

    It 'calls no cmdlet that would import a module in the host''s process' {
        $AgentText.Length | Should -BeGreaterThan 50000
        Get-ModuleCmdletUse $AgentText | Should -BeNullOrEmpty -Because 'each such module costs every fresh session and cold worker its import; .NET does the same job'
    }
}
