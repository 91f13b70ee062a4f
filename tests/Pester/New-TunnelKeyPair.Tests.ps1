BeforeAll {
    . $PSScriptRoot/Common.ps1
}

Describe 'New-TunnelKeyPair' {
    It 'makes the requested number of distinct key pairs' {
        $pairs = New-TunnelKeyPair -Count 50
        $pairs | Should -HaveCount 50
        ($pairs.PublicKey | Sort-Object -Unique) | Should -HaveCount 50
        $pairs[0].PublicKey | Should -Match '^[A-Za-z0-9+/]{43}=$'
    }

    It 'computes the same public key as wg pubkey for 1,000 random private keys' {
        $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
        $privates = foreach ($i in 1..1000) {
            $bytes = [byte[]]::new(32); $rng.GetBytes($bytes)   # unclamped on purpose: wg clamps as it reads
            [Convert]::ToBase64String($bytes)
        }
        $file = New-TemporaryFile
        try {
            Set-Content -LiteralPath $file -Value $privates
            $expected = @(bash -c "while read -r k; do printf '%s\n' ""`$k"" | wg pubkey; done < '$file'")
            $LASTEXITCODE | Should -Be 0
        }
        finally { Remove-Item $file }
        $expected | Should -HaveCount 1000
        $actual = @(foreach ($k in $privates) { (New-TunnelPeer -Name p -Role Home -Address 10.9.0.2 -PrivateKey $k).PublicKey })
        $mismatches = @(0..999 | Where-Object { $actual[$_] -cne $expected[$_] })
        $mismatches | Should -HaveCount 0
    }

    It 'makes bulk pairs (-Count, the direct libsodium path) whose public keys wg and NSec both derive' {
        $pairs = New-TunnelKeyPair -Count 1000
        $file = New-TemporaryFile
        try {
            Set-Content -LiteralPath $file -Value ($pairs | ForEach-Object { $_.PrivateKey.RevealBase64() })
            $expected = @(bash -c "while read -r k; do printf '%s\n' ""`$k"" | wg pubkey; done < '$file'")
        }
        finally { Remove-Item $file }
        @(0..999 | Where-Object { $pairs[$_].PublicKey -cne $expected[$_] }) | Should -HaveCount 0
        # The single-key path goes through NSec: the same private key gives the same public key there too.
        @(0..999 | Where-Object { [HomeTunnel.WireGuard.WireGuardPrivateKey]::Parse($pairs[$_].PrivateKey.RevealBase64(), 'PrivateKey').PublicKey -cne $pairs[$_].PublicKey }) | Should -HaveCount 0
        ($pairs.PublicKey | Sort-Object -Unique) | Should -HaveCount 1000
        foreach ($p in $pairs | Select-Object -First 50) {
            $bytes = [Convert]::FromBase64String($p.PrivateKey.RevealBase64())
            ($bytes[0] -band 7) | Should -Be 0
            ($bytes[31] -band 0xC0) | Should -Be 0x40
        }
    }

    It 'clamps new private keys as wg genkey does, and wg derives the same public key' {
        $pair = New-TunnelKeyPair
        $bytes = [Convert]::FromBase64String($pair.PrivateKey.RevealBase64())
        ($bytes[0] -band 7) | Should -Be 0
        ($bytes[31] -band 0xC0) | Should -Be 0x40
        ($pair.PrivateKey.RevealBase64() | wg pubkey) | Should -BeExactly $pair.PublicKey
    }

    It 'rejects a count out of range' {
        { New-TunnelKeyPair -Count 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,HomeTunnel.Cmdlets.NewTunnelKeyPairCommand'
    }
}

Describe 'Private keys are redacted' {
    BeforeAll {
        $pair = New-TunnelKeyPair
        $secret = $pair.PrivateKey.RevealBase64()
    }

    It 'does not show the key in <Name>' -ForEach @(
        @{ Name = 'ToString()'; Render = { param($p) $p.PrivateKey.ToString() } }
        @{ Name = 'Out-String'; Render = { param($p) $p | Out-String } }
        @{ Name = 'Format-List *'; Render = { param($p) $p | Format-List * | Out-String } }
        @{ Name = 'Format-Table *'; Render = { param($p) $p | Format-Table * | Out-String } }
        @{ Name = 'ConvertTo-Json'; Render = { param($p) $p | ConvertTo-Json -Depth 10 } }
        @{ Name = 'Export-Clixml'; Render = { param($p) $f = New-TemporaryFile; $p | Export-Clixml $f -Depth 10; Get-Content -Raw $f; Remove-Item $f } }
        @{ Name = 'string interpolation'; Render = { param($p) "$($p.PrivateKey)" } }
        @{ Name = 'a peer''s Format-List *'; Render = { param($p) New-TunnelPeer -Name x -Role Home -Address 10.0.0.2 -PrivateKey $p.PrivateKey | Format-List * | Out-String } }
    ) {
        $text = & $Render $pair
        $text | Should -Not -BeNullOrEmpty
        $text | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'keeps the key out of error messages for a malformed private key' {
        $bad = $secret.Substring(0, 43)   # one character short
        $record = Get-ErrorRecord { New-TunnelPeer -Name x -Role Home -Address 10.0.0.2 -PrivateKey $bad }
        Assert-HomeTunnelError $record 'KeyWrongLength' 'InvalidArgument'
        ($record | Out-String) + $record.TargetObject + $record.Exception.Message | Should -Not -Match ([regex]::Escape($bad))
    }
}
