using GPT4RoI.Fuzz;

// gpt4roi-fuzz: fuzzing harness of the parsers and decoders that read untrusted input (docs/reliability.md#fuzzing).
//
//   gpt4roi-fuzz list
//   gpt4roi-fuzz run TARGET|all [--seed N] [--execs N] [--seconds S] [--findings DIR] [--corpus DIR] [--junit FILE] [--lossless-webp]
//   gpt4roi-fuzz smoke [--junit FILE] [--findings DIR]      every target, fixed seed and execution counts (CI)
//   gpt4roi-fuzz repro TARGET FILE...                        runs saved inputs once each
//   gpt4roi-fuzz libfuzzer TARGET                            under libFuzzer (SharpFuzz), see docs/reliability.md
//   gpt4roi-fuzz seeds [DIR]                                 writes the seed corpora (default fuzz/corpus)
//
// Exit status: 0 no findings, 1 findings, 2 usage, 3 a hang (the input is saved under --findings).
return FuzzCommand.Run(args, Console.Out);
