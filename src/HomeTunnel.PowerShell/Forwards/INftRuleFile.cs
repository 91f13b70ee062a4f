namespace HomeTunnel.Forwards;

/// <summary>One item of an <see cref="NftTable"/>: its key (in the rules' comments and the file's name), its file and its rules.</summary>
public interface INftRuleFile
{
    /// <summary>"tcp-2222": the key in the rules' comment ("hometunnel tcp-2222") and the file's name.</summary>
    string Key { get; }

    /// <summary>The item's file on the host.</summary>
    string Path { get; }

    /// <summary>The file: HomeTunnel's marker and nft commands that add the item's rules to the table.</summary>
    string Text { get; }
}
