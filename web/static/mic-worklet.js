// The microphone, 16 kHz 16-bit PCM in 40 ms frames (AudioWorklet delivers 128-frame
// blocks; sending each would be ~125 messages a second).  When the context does not run
// at 16 kHz (Firefox ignores the requested rate), the samples are resampled here.
class OpsimMic extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.pos = 0;
    this.frame = new Int16Array(640);
    this.fill = 0;
    this.peak = 0;
  }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let t = this.pos; t < input.length; t += this.ratio) {
      const i = Math.floor(t);
      const s = Math.max(-1, Math.min(1, input[i]));
      this.peak = Math.max(this.peak, Math.abs(s));
      this.frame[this.fill++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.fill === this.frame.length) {
        this.port.postMessage({ pcm: this.frame.buffer, peak: this.peak }, [this.frame.buffer]);
        this.frame = new Int16Array(640);
        this.fill = 0;
        this.peak = 0;
      }
      this.pos = t + this.ratio - input.length;
    }
    if (this.pos < 0) this.pos = 0;
    return true;
  }
}
registerProcessor("opsim-mic", OpsimMic);
