# Property-based tests (CsCheck, tests/Properties): random relay facts, forwards, Apache texts, addresses, host text,
# keys, paths and door lists against the rules that must hold for every one of them. Built here against the module
# under test and loaded into this runspace; one It per property, failing with CsCheck's shrunk counterexample and seed.
BeforeDiscovery {
    . $PSScriptRoot/Common.ps1
    $out = Join-Path ([System.IO.Path]::GetTempPath()) "hometunnel-properties-$PID"
    $project = Join-Path $RepoRoot 'tests/Properties/HomeTunnel.Properties.csproj'
    $log = dotnet build $project -c Release -o $out --nologo -v quiet 2>&1
    if ($LASTEXITCODE -ne 0) { throw "The property tests did not build: $log" }
    Add-Type -Path (Join-Path $out 'CsCheck.dll'), (Join-Path $out 'HomeTunnel.Properties.dll')
    $properties = [HomeTunnel.Properties.Properties]::Names | ForEach-Object { @{ Name = $_ } }
}

Describe 'Properties that hold for every input' {
    It '<Name>' -ForEach $properties {
        { [HomeTunnel.Properties.Properties]::Run($Name) } | Should -Not -Throw
    }

    It 'runs every property there is' {
        [HomeTunnel.Properties.Properties]::Names.Count | Should -BeGreaterOrEqual 9
    }
}
