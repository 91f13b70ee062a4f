# The lab's home service: answers every request on :<Port> with a body the tests recognise, echoing the
# request's Host and X-Forwarded-For, so a test can tell it reached home and what the relay forwarded.
# /bytes/<n> answers n bytes (at most 16 MiB) instead, for downloads that fill full-size packets.
param([int] $Port = 3000, [string] $Marker = 'hometunnel-lab-home-service')

$listener = [System.Net.HttpListener]::new()
$listener.Prefixes.Add("http://*:$Port/")
$listener.Start()
[Console]::Out.WriteLine("listening on $Port")
while ($listener.IsListening) {
    $context = $listener.GetContext()
    $request = $context.Request
    $body = @(
        $Marker
        "Host: $($request.Headers['Host'])"
        "X-Forwarded-For: $($request.Headers['X-Forwarded-For'])"
        "X-Forwarded-Proto: $($request.Headers['X-Forwarded-Proto'])"
        "Remote: $($request.RemoteEndPoint.Address)"
        "Path: $($request.RawUrl)"
    ) -join "`n"
    $bytes = [Text.Encoding]::UTF8.GetBytes($body + "`n")
    if ($request.RawUrl -match '\A/bytes/([0-9]{1,8})\z' -and [int]$Matches[1] -le 16MB) {
        $bytes = [byte[]]::new([int]$Matches[1])
        [Random]::new(7).NextBytes($bytes)
    }
    $context.Response.ContentType = 'text/plain'
    $context.Response.ContentLength64 = $bytes.Length
    $context.Response.OutputStream.Write($bytes, 0, $bytes.Length)
    $context.Response.Close()
}
