namespace GPT4RoI.Core.Contracts;

/// <summary>The model that produced an answer (JSON <c>model</c> of results and query answers).</summary>
/// <param name="Id">The manifest's <c>model_id</c>, e.g. <c>gpt4roi-tiny-shapes</c> (JSON <c>id</c>).</param>
/// <param name="Variant">The variant that ran, <c>fp32</c> or <c>fp16</c> (JSON <c>variant</c>).</param>
/// <param name="ExecutionProvider">Where the graphs ran: <c>CUDA</c> or <c>CPU</c> (JSON <c>execution_provider</c>).</param>
public sealed record ModelInfo(string Id, string Variant, string ExecutionProvider);
