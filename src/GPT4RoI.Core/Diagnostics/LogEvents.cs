namespace GPT4RoI.Core.Diagnostics;

/// <summary>
/// Every log event id of the app, in one place, so that ids are unique across the engine and the hosts (a test checks
/// that each <c>[LoggerMessage]</c> uses one of these and no two share one). Ranges: 1–99 engine, 100–199 storage
/// jobs, 200–299 sessions, 300–399 HTTP, 480–499 reliability (model files changed, result conflicts).
/// </summary>
public static class LogEvents
{
    /// <summary>Engine: the CPU provider was chosen by configuration.</summary>
    public const int ProviderForcedCpu = 1;

    /// <summary>Engine: the CUDA provider is in use.</summary>
    public const int ProviderCuda = 2;

    /// <summary>Engine: CUDA was unavailable; running on the CPU.</summary>
    public const int CudaFallback = 3;

    /// <summary>Engine: a model folder was loaded.</summary>
    public const int ModelLoaded = 4;

    /// <summary>Engine: an image was encoded by the vision graph.</summary>
    public const int ImageEncoded = 5;

    /// <summary>Engine: an answer was generated.</summary>
    public const int Generated = 6;

    /// <summary>Engine: a decoder run failed; the sequences in it were failed, the others go on.</summary>
    public const int DecodeStepFailed = 7;

    /// <summary>Jobs: a queue message that is not a job message.</summary>
    public const int JobMessageInvalid = 101;

    /// <summary>Jobs: the manifest changed after its job was queued.</summary>
    public const int JobSuperseded = 102;

    /// <summary>Jobs: the image has not arrived yet; the job looks again later.</summary>
    public const int JobWaitingForImage = 103;

    /// <summary>Jobs: the result was already written (a redelivered message).</summary>
    public const int JobAlreadyDone = 104;

    /// <summary>Jobs: a result was written.</summary>
    public const int JobResultWritten = 105;

    /// <summary>Jobs: an error JSON was written.</summary>
    public const int JobErrorWritten = 106;

    /// <summary>Jobs: a dropped manifest was refused.</summary>
    public const int ManifestRejected = 111;

    /// <summary>Jobs: a dropped manifest was accepted and its job queued.</summary>
    public const int ManifestAccepted = 112;

    /// <summary>Sessions: the transcript changed while writing; read again.</summary>
    public const int TranscriptConflict = 201;

    /// <summary>Sessions: a turn was refused (bad question or box).</summary>
    public const int SessionTurnRejected = 202;

    /// <summary>Sessions: a session was created.</summary>
    public const int SessionCreated = 203;

    /// <summary>Sessions: relaying a streamed answer through storage failed; the answer goes on, the relay stops.</summary>
    public const int PartialAnswerRelayFailed = 204;

    /// <summary>Sessions: looking for (or deleting) a turn's stop request in storage failed; the answer goes on.</summary>
    public const int StopWatchFailed = 205;

    /// <summary>Sessions: a turn was asked to stop.</summary>
    public const int TurnStopRequested = 206;

    /// <summary>HTTP: a request was answered.</summary>
    public const int HttpAnswered = 301;

    /// <summary>HTTP: a request was refused with a problem answer (an input error, busy, not found…).</summary>
    public const int HttpRejected = 302;

    /// <summary>HTTP: a request failed unexpectedly (500).</summary>
    public const int HttpFailed = 303;

    /// <summary>HTTP: a server-sent event stream ended with an error event.</summary>
    public const int StreamFailed = 304;

    /// <summary>HTTP: the client went away before the answer was complete.</summary>
    public const int ClientGone = 305;

    /// <summary>Detection: a detector folder was loaded.</summary>
    public const int DetectorLoaded = 400;

    /// <summary>Detection: an image went through the detector.</summary>
    public const int Detected = 401;

    /// <summary>Detection: NaN scores in the detector's output were ignored.</summary>
    public const int DetectorNaNScores = 402;

    /// <summary>Detection: more candidates than the cap; the lowest-scoring were dropped before NMS.</summary>
    public const int DetectorCandidatesCapped = 403;

    /// <summary>Describe: detected objects were described.</summary>
    public const int Described = 404;

    /// <summary>Engine: a model file changed under the running engine (size or modification time); every later use fails.</summary>
    public const int ModelFilesChanged = 480;

    /// <summary>Jobs: a stored result differs from what the job produced (tampered with or half-written); it was kept.</summary>
    public const int JobResultConflict = 481;

    /// <summary>Jobs: a stored result without a content hash has the same answers as the job's; accepted.</summary>
    public const int JobResultMatched = 482;

    /// <summary>Engine: the model's preprocessing mode, decoding defaults, question rules and special tokens (530–549: the
    /// manifest fields the engine honours).</summary>
    public const int ModelBehaviour = 530;
}
