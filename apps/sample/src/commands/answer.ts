/** `unihetero-sample answer <png> --question ... --options a|b|c|d`: multiple choice by option likelihood. */
import { answerQuestions } from '@unihetero/model';
import { imagesToTensor } from '@unihetero/data';
import type { SampleIO } from '../io.js';
import { encodeText, readInputPng } from '../inputs.js';
import { closeSession, contextOf, imageSide, openSession, vocabularyOf } from '../session.js';
import { checkContext, type CommonOptions } from './common.js';

/** Options of `answer`. */
export interface AnswerCommandOptions extends CommonOptions {
  file: string;
  question: string;
  options: string[];
}

/** The chosen option and every option's log-likelihood (and its share among the options). */
export interface AnswerResult {
  choice: number;
  answer: string;
  options: { option: string; logLikelihood: number; probability: number }[];
}

/**
 * Score each option by the log-likelihood of its tokens and `<eos>` after the image and the
 * question (docs/method.md 11); `probability` renormalises the likelihoods over the given options.
 * Scoring is deterministic: `--seed` draws nothing here.
 */
export async function runAnswer(o: AnswerCommandOptions, io: SampleIO): Promise<AnswerResult> {
  const s = await openSession(o.checkpoint, o.backend, io);
  try {
    const image = await readInputPng(o.file, imageSide(s));
    const q = encodeText(s.model.tokenizer, o.question, 'question', vocabularyOf(s));
    const longest = Math.max(...o.options.map((opt, i) => encodeText(s.model.tokenizer, opt, `option ${i + 1}`, vocabularyOf(s)).length));
    // <bos> <boi> image <eoi> question option <eos>
    checkContext(contextOf(s), 'the question with its longest option', q.length + longest, 4);
    const t = imagesToTensor([image], s.backend);
    let lls: number[];
    let choice: number;
    try {
      const [r] = await answerQuestions(s.model, t, [{ question: o.question, options: o.options }]);
      lls = r!.logLikelihoods;
      choice = r!.choice;
    } finally {
      t.dispose();
    }
    const m = Math.max(...lls);
    const z = lls.reduce((a, l) => a + Math.exp(l - m), 0);
    const result: AnswerResult = {
      choice,
      answer: o.options[choice]!,
      options: o.options.map((option, i) => ({ option, logLikelihood: lls[i]!, probability: Math.exp(lls[i]! - m) / z })),
    };
    const width = Math.max(...o.options.map((x) => x.length));
    io.out(`${o.file}: ${o.question}`);
    io.out(`answer: ${result.answer}`);
    result.options.forEach((r, i) => {
      const letter = i < 26 ? String.fromCharCode(65 + i) : String(i + 1);
      io.out(`${i === choice ? '>' : ' '} (${letter}) ${r.option.padEnd(width)}  log-likelihood ${r.logLikelihood.toFixed(4)}  p ${r.probability.toFixed(3)}`);
    });
    return result;
  } finally {
    closeSession(s);
  }
}
