BeforeAll {
    . $PSScriptRoot/Common.ps1
    $valid = (New-TunnelKeyPair).PublicKey
}

Describe 'WireGuard key text is validated as wg validates it' {
    It 'rejects <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'an empty key'; Key = ''; ErrorId = 'KeyMissing' }
        @{ Case = 'placeholder text'; Key = '<Private key goes here>'; ErrorId = 'KeyIsPlaceholder' }
        @{ Case = 'a trailing newline'; Key = "VALID`n"; ErrorId = 'KeyHasWhiteSpace' }
        @{ Case = 'an inner space'; Key = 'SPACED'; ErrorId = 'KeyHasWhiteSpace' }
        @{ Case = 'a short key'; Key = 'SHORT'; ErrorId = 'KeyWrongLength' }
        @{ Case = '45 characters'; Key = 'LONG'; ErrorId = 'KeyWrongLength' }
        @{ Case = 'no padding'; Key = 'NOPAD'; ErrorId = 'KeyWrongLength' }
        @{ Case = 'url-safe base64'; Key = 'URLSAFE'; ErrorId = 'KeyNotBase64' }
        @{ Case = 'non-canonical padding bits'; Key = 'NONCANON'; ErrorId = 'KeyNotCanonical' }
    ) {
        $key = switch ($Key) {
            'VALID' { $valid } 
            "VALID`n" { "$valid`n" }
            'SPACED' { $valid.Substring(0, 20) + ' ' + $valid.Substring(21) }
            'SHORT' { $valid.Substring(0, 40) + '=' }
            'LONG' { 'A' + $valid }
            'NOPAD' { $valid.Substring(0, 43) + 'A' }
            'URLSAFE' { '-' + $valid.Substring(1) }
            'NONCANON' { Get-NonCanonicalKey $valid }
            default { $Key }
        }
        $record = Get-ErrorRecord { New-TunnelPeer -Name x -Role Home -Address 10.0.0.2 -PublicKey $key }
        Assert-HomeTunnelError $record $ErrorId 'InvalidArgument' $key
    }

    It 'rejects non-canonical keys that .NET decodes but wg refuses' {
        $bad = Get-NonCanonicalKey $valid
        { [Convert]::FromBase64String($bad) } | Should -Not -Throw
        $null = $bad | wg pubkey 2>&1
        $LASTEXITCODE | Should -Not -Be 0
    }
}
