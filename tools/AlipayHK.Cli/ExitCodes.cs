namespace AlipayHK.Cli;

/// <summary>The exit codes of every command (also printed by <c>--help</c> and documented in the README).</summary>
internal static class ExitCodes
{
    /// <summary>The operation succeeded (a signature verified, a message was replayed, ...).</summary>
    public const int Ok = 0;

    /// <summary>The operation ran and failed: a signature that does not verify, an F answer, a storage or network error, no such member.</summary>
    public const int Failure = 1;

    /// <summary>Bad usage or configuration: unknown option, missing argument, missing or malformed setting, unreadable input file.</summary>
    public const int Usage = 2;

    public const string HelpText =
        "Exit codes:\n" +
        "  0  success\n" +
        "  1  the operation failed (signature does not verify, AlipayHK answered F/U, storage or network error, not found)\n" +
        "  2  usage or configuration error (bad option, missing setting, unreadable file)";
}

/// <summary>Bad usage or configuration: ends the command with exit code 2 and this message.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The operation failed in a way already explained to the operator: exit code 1 with this message.</summary>
internal sealed class OperationFailedException(string message) : Exception(message);
