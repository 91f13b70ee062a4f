BeforeAll {
    . $PSScriptRoot/Common.ps1
}

Describe 'The module folder' {
    It 'imports in a fresh pwsh and makes keys there (libsodium found from deps/runtimes)' {
        $out = Invoke-FreshPwsh "Import-Module '$ModulePath'; (New-TunnelKeyPair).PublicKey.Length"
        $LASTEXITCODE | Should -Be 0
        $out | Should -Be 44
    }

    It 'still makes keys after Import-Module -Force twice, and after Remove-Module and a re-import' {
        $out = Invoke-FreshPwsh "Import-Module '$ModulePath'; Import-Module '$ModulePath' -Force; `$a = (New-TunnelKeyPair).PublicKey.Length; Remove-Module HomeTunnel; Import-Module '$ModulePath'; `$a, (New-TunnelKeyPair).PublicKey.Length -join ','"
        $LASTEXITCODE | Should -Be 0
        $out | Should -Be '44,44'
    }

    It 'ships libsodium for every platform the locator knows, and the locator finds each one' {
        $deps = Join-Path $ModulePath 'deps'
        $shipped = (Get-ChildItem (Join-Path $deps 'runtimes') -Directory).Name | Sort-Object
        $shipped | Should -Be ([HomeTunnel.NativeLibraryLocator]::ShippedRuntimes | Sort-Object)
        foreach ($rid in $shipped) {
            $arch = switch -Wildcard ($rid) { '*-x64' { 'X64' } '*-x86' { 'X86' } '*-arm64' { 'Arm64' } '*-arm' { 'Arm' } }
            $relative = [HomeTunnel.NativeLibraryLocator]::Candidates($rid, $arch, 'libsodium')[0]
            Test-Path (Join-Path $deps $relative) | Should -BeTrue -Because "$rid needs $relative"
        }
    }

    It 'maps distribution-specific runtime ids to the portable folders' {
        [HomeTunnel.NativeLibraryLocator]::Candidates('ubuntu.22.04-x64', 'X64', 'libsodium')[0] | Should -Be 'runtimes/linux-x64/native/libsodium.so'
        [HomeTunnel.NativeLibraryLocator]::Candidates('alpine.3.20-arm64', 'Arm64', 'libsodium')[0] | Should -Be 'runtimes/linux-musl-arm64/native/libsodium.so'
        [HomeTunnel.NativeLibraryLocator]::Candidates('osx-arm64', 'Arm64', 'libsodium')[0] | Should -Be 'runtimes/osx-arm64/native/libsodium.dylib'
        [HomeTunnel.NativeLibraryLocator]::Candidates('win-x64', 'X64', 'libsodium')[0] | Should -Be 'runtimes/win-x64/native/libsodium.dll'
    }

    It 'keeps its dependencies out of the default load context' {
        # A private key read from a config goes through NSec (new keys may take libsodium directly).
        $null = "[Interface]`nPrivateKey = $((New-TunnelKeyPair).PrivateKey.RevealBase64())`nAddress = 192.168.4.2/32" | ConvertFrom-WireGuardConfig -Text { $_ }
        $nsec = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'NSec.Cryptography' })
        $nsec | Should -HaveCount 1
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($nsec[0]).Name | Should -Be 'HomeTunnel.Dependencies'
    }

    It 'exports exactly the cmdlets the manifest lists, and the manifest is complete' {
        $manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'HomeTunnel.psd1')
        $module = Get-Module HomeTunnel
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        $inAssembly = [HomeTunnel.Cmdlets.HomeTunnelCmdlet].Assembly.GetTypes() |
            Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
        ($inAssembly | Sort-Object) | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        $manifest.PowerShellVersion | Should -Be '7.5'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.PrivateData.PSData.Tags | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.ProjectUri | Should -Not -BeNullOrEmpty
        $manifest.Description | Should -Not -BeNullOrEmpty
    }

    It 'stamps the manifest version into the assembly' {
        $manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'HomeTunnel.psd1')
        [HomeTunnel.Cmdlets.HomeTunnelCmdlet].Assembly.GetName().Version.ToString(3) | Should -Be $manifest.ModuleVersion
    }
}
