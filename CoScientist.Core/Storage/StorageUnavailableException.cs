namespace CoScientist.Core.Storage;

/// <summary>
/// Saved research cannot be read or written right now (disk full, read-only, missing, damaged or from a newer
/// version). The message is fit to show a visitor; the storage engine's own error is the inner exception.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
