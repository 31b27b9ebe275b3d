#!/usr/bin/env node
// Extract penultimate / pooled-layer features from pretrained networks whose
// weights ship inside npm packages (nsfwjs, @vladmandic/human,
// @vladmandic/face-api), with @tensorflow/tfjs on the wasm backend, offline.
//
// Usage: node extract.js ZOO_DIR [MODEL ...]      (default: all models)
// Reads  ZOO_DIR/stimuli/<dataset>.npy (uint8, n x H x W grey or n x H x W x 3)
// Writes ZOO_DIR/features/<dataset>/<model>.npy (float32, n x d) and
//        ZOO_DIR/cache/node/<model>.json (layer, preprocessing, timings).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');

const DATASETS = ['fmnist_test', 'fmnist_train', 'digits', 'emoji'];
const NM = path.join(__dirname, 'node_modules');
const HUMAN = path.join(NM, '@vladmandic', 'human', 'models');
const FACEAPI = path.join(NM, '@vladmandic', 'face-api', 'model');
const NSFW = path.join(NM, 'nsfwjs', 'dist', 'models');

// ------------------------------------------------------------------ npy io
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (descr !== '|u1') throw new Error(`${file}: expected uint8, got ${descr}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: fortran order`);
  const data = new Uint8Array(buf.buffer, buf.byteOffset + hstart + hlen, shape.reduce((a, b) => a * b, 1));
  return { data, shape };
}

function writeNpyF32(file, data, n, d) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const h = Buffer.alloc(10);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = 1; h[7] = 0;
  h.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, n * d * 4);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([h, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, file);
}

// ------------------------------------------------------------------ loading
function toArrayBuffer(b) { return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }

function nsfwArtifacts(name, shards) {
  // nsfwjs ships model.json and weight shards as UMD modules: the topology as
  // an object, each shard as a base64 string.
  const dir = path.join(NSFW, name);
  const j = require(path.join(dir, 'model.min.js'));
  const bufs = [];
  for (let i = 1; i <= shards; i++) bufs.push(Buffer.from(require(path.join(dir, `group1-shard${i}of${shards}.min.js`)), 'base64'));
  return { modelTopology: j.modelTopology, weightSpecs: j.weightsManifest.flatMap((g) => g.weights), weightData: toArrayBuffer(Buffer.concat(bufs)), format: j.format };
}

function tfjsJsonArtifacts(jsonFile) {
  // A tfjs model.json plus its weight files, weights concatenated in manifest order.
  const j = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  const dir = path.dirname(jsonFile);
  const bufs = [];
  for (const g of j.weightsManifest) for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
  return { modelTopology: j.modelTopology, weightSpecs: j.weightsManifest.flatMap((g) => g.weights), weightData: toArrayBuffer(Buffer.concat(bufs)), format: j.format };
}

async function graphModel(art) {
  const { modelTopology, weightSpecs, weightData } = art;
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }));
}

// ------------------------------------------------------------------ preprocessing helpers
// img: float32 tensor [1, H, W, 3] with values 0..255 (grey stimuli replicated to 3 channels)
const resize = (img, s) => tf.image.resizeBilinear(img, [s, s], false);
const to01 = (x) => tf.div(x, 255);
const toPm1 = (x) => tf.sub(tf.div(x, 127.5), 1);
const gap = (t) => (t.shape.length === 4 ? tf.mean(t, [1, 2]) : t.reshape([t.shape[0], -1]));

// ------------------------------------------------------------------ model table
const MODELS = {
  nsfw_mobilenet_v2: {
    package: 'nsfwjs', file: 'dist/models/mobilenet_v2 (model.min.js + group1-shard1of1.min.js)',
    objective: 'supervised', architecture: 'mobilenet', data: 'imagenet_nsfw',
    training_data: 'MobileNetV2 (ImageNet-pretrained) fine-tuned by nsfwjs for 5-way image-content classification (drawing, hentai, neutral, porn, sexy)',
    layer: 'flatten_1 (global average pooling of out_relu, before the dense 256-128-5 head)',
    preprocessing: 'RGB (grey replicated), bilinear resize to 224x224, /255 -> [0,1] (as nsfwjs)',
    async load() {
      const art = nsfwArtifacts('mobilenet_v2', 1);
      const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: art.modelTopology, weightSpecs: art.weightSpecs, weightData: art.weightData }));
      const sub = tf.model({ inputs: m.inputs, outputs: m.getLayer('flatten_1').output });
      return (img) => sub.predict(to01(resize(img, 224)));
    },
  },
  nsfw_mobilenet_v2_mid: {
    package: 'nsfwjs', file: 'dist/models/mobilenet_v2_mid (model.min.js + 2 shards)',
    objective: 'supervised', architecture: 'mobilenet', data: 'imagenet_nsfw',
    training_data: 'MobileNetV2 width 1.4 (TF-Hub ImageNet feature vector) fine-tuned by nsfwjs for the same 5-way classification',
    layer: 'MobilenetV2/.../feature_vector/SpatialSqueeze (pooled Conv_1 output, 1792-d)',
    preprocessing: 'RGB (grey replicated), bilinear resize to 224x224, /255 -> [0,1] (as nsfwjs)',
    async load() {
      const m = await graphModel(nsfwArtifacts('mobilenet_v2_mid', 2));
      const node = 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze';
      return (img) => m.execute(to01(resize(img, 224)), node);
    },
  },
  human_faceres: {
    package: '@vladmandic/human', file: 'models/faceres.json',
    objective: 'face-analysis', architecture: 'mobilenet', data: 'faces',
    training_data: 'MobileNet(v1)-based face description network of Human (age, gender and face descriptor heads) trained on face crops',
    layer: 'global_pooling/Mean (1024-d, input of the feats/age/gender heads)',
    preprocessing: 'RGB (grey replicated), bilinear resize to 224x224, raw 0..255 (with [0,1] input the pooled layer is near-constant across stimuli: checked)',
    async load() {
      const m = await graphModel(tfjsJsonArtifacts(path.join(HUMAN, 'faceres.json')));
      return (img) => m.execute(resize(img, 224), 'global_pooling/Mean');
    },
  },
  human_emotion: {
    package: '@vladmandic/human', file: 'models/emotion.json',
    objective: 'face-analysis', architecture: 'cnn', data: 'faces',
    training_data: 'mini-Xception facial expression classifier (7 emotions, FER-2013-style grey face crops)',
    layer: 'model_1/add_2/add (last residual block output), global average pooled -> 128-d',
    preprocessing: 'grey = 0.2989R+0.587G+0.114B, bilinear resize to 64x64, /255, then (x-0.5)*2 -> [-1,1]',
    async load() {
      const m = await graphModel(tfjsJsonArtifacts(path.join(HUMAN, 'emotion.json')));
      return (img) => {
        const r = resize(img, 64);
        const [R, G, B] = tf.split(r, 3, 3);
        const grey = tf.addN([tf.mul(R, 0.2989), tf.mul(G, 0.587), tf.mul(B, 0.114)]);
        return gap(m.execute(tf.mul(tf.sub(to01(grey), 0.5), 2), 'StatefulPartitionedCall/model_1/add_2/add'));
      };
    },
  },
  faceapi_face_recognition: {
    package: '@vladmandic/face-api', file: 'model/face_recognition_model*',
    objective: 'face-analysis', architecture: 'resnet', data: 'faces',
    training_data: 'ResNet-34-like face recognition network (dlib face descriptor port), metric learning on face identities',
    layer: 'face descriptor: output of the final 256->128 fully connected layer after global average pooling (128-d embedding)',
    preprocessing: 'RGB (grey replicated) 0..255, face-api FaceRecognitionNet.forward: resize/pad to 150x150, subtract mean RGB (122.782, 117.001, 104.298), /256',
    async load() {
      const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
      await faceapi.nets.faceRecognitionNet.loadFromDisk(FACEAPI);
      // forward() is async and takes a list of HxWx3 tensors as one batch
      return (img) => faceapi.nets.faceRecognitionNet.forward(tf.unstack(resize(img, 150)));
    },
  },
  human_movenet: {
    package: '@vladmandic/human', file: 'models/movenet-lightning.json',
    objective: 'localization', architecture: 'mobilenet', data: 'coco_people', batch: 1,
    training_data: 'MoveNet Lightning single-person pose estimation (MobileNetV2 + FPN, CenterNet-style heads) trained on COCO/Active person keypoints',
    layer: 'center_net_mobile_net_v2fpn_feature_extractor/model_1/model/out_relu/Relu6 (MobileNetV2 backbone top, 1280 channels, 6x6), global average pooled',
    preprocessing: 'RGB (grey replicated), bilinear resize to 192x192, int32 0..255 (as the model expects)',
    async load() {
      const m = await graphModel(tfjsJsonArtifacts(path.join(HUMAN, 'movenet-lightning.json')));
      const node = 'StatefulPartitionedCall/center_net_mobile_net_v2fpn_feature_extractor/model_1/model/out_relu/Relu6';
      return (img) => gap(m.execute(tf.cast(tf.round(resize(img, 192)), 'int32'), node));
    },
  },
  human_handtrack: {
    package: '@vladmandic/human', file: 'models/handtrack.json',
    objective: 'localization', architecture: 'mobilenet', data: 'hands',
    training_data: 'SSD MobileNetV2-FPN hand detector (TF object detection API) of Human',
    layer: 'ssd_mobile_net_v2fpn_keras_feature_extractor/model/out_relu/Relu6 (MobileNetV2 backbone top, 1280 channels), global average pooled',
    preprocessing: 'RGB (grey replicated), bilinear resize to 224x224, /127.5 - 1 -> [-1,1] (the SSD MobileNet preprocessing), fed past the model\'s own resize loop at StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack',
    async load() {
      const m = await graphModel(tfjsJsonArtifacts(path.join(HUMAN, 'handtrack.json')));
      const node = 'StatefulPartitionedCall/ssd_mobile_net_v2fpn_keras_feature_extractor/model/out_relu/Relu6';
      // the graph starts with a dynamic map/while resize loop; feed its output tensor directly
      const input = 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack';
      return (img) => gap(m.execute({ [input]: toPm1(resize(img, 224)) }, node));
    },
  },
  human_blazeface: {
    package: '@vladmandic/human', file: 'models/blazeface.json',
    objective: 'localization', architecture: 'blazeface', data: 'faces', batch: 1,
    training_data: 'BlazeFace (back-camera variant) face detector of Human/MediaPipe',
    layer: 'functional_1/re_lu_31/Relu (last backbone block before the detection heads), global average pooled',
    preprocessing: 'RGB (grey replicated), bilinear resize to 256x256, /127.5 - 1 -> [-1,1]',
    async load() {
      const m = await graphModel(tfjsJsonArtifacts(path.join(HUMAN, 'blazeface.json')));
      return (img) => gap(m.execute(toPm1(resize(img, 256)), 'StatefulPartitionedCall/functional_1/re_lu_31/Relu'));
    },
  },
};

// ------------------------------------------------------------------ main
function stimulusBatch(stim, i0, i1) {
  // float32 [B, H, W, 3], values 0..255; grey stimuli are replicated to 3 channels
  const [, H, W] = stim.shape;
  const C = stim.shape.length === 4 ? stim.shape[3] : 1;
  const px = H * W * C;
  const x = tf.tensor(Float32Array.from(stim.data.subarray(i0 * px, i1 * px)), [i1 - i0, H, W, C]);
  return C === 1 ? tf.tile(x, [1, 1, 1, 3]) : x;
}

async function main() {
  const zoo = path.resolve(process.argv[2] || path.join(__dirname, '..'));
  const names = process.argv.slice(3).length ? process.argv.slice(3) : Object.keys(MODELS);
  await tf.setBackend('wasm');
  await tf.ready();
  const cache = path.join(zoo, 'cache', 'node');
  fs.mkdirSync(cache, { recursive: true });
  const stimuli = Object.fromEntries(DATASETS.map((d) => [d, readNpy(path.join(zoo, 'stimuli', `${d}.npy`))]));
  for (const name of names) {
    const spec = MODELS[name];
    if (!spec) throw new Error(`unknown model ${name}; known: ${Object.keys(MODELS).join(', ')}`);
    const t0 = Date.now();
    const fwd = await spec.load();
    const shapes = {};
    for (const d of DATASETS) {
      const st = stimuli[d];
      const n = st.shape[0];
      let out = null; let dim = 0;
      const bs = spec.batch || 20;
      for (let i = 0; i < n; i += bs) {
        const i1 = Math.min(n, i + bs);
        tf.engine().startScope();
        let y = fwd(stimulusBatch(st, i, i1));
        if (y instanceof Promise) y = await y;
        const v = await gap(y).data();
        tf.engine().endScope();
        if (!out) { dim = v.length / (i1 - i); out = new Float32Array(n * dim); }
        out.set(v, i * dim);
      }
      writeNpyF32(path.join(zoo, 'features', d, `${name}.npy`), out, n, dim);
      shapes[d] = [n, dim];
    }
    const secs = (Date.now() - t0) / 1000;
    const meta = { family: 'pretrained', ...spec, backend: `tfjs ${tf.version.tfjs} ${tf.getBackend()}`, seconds: secs, shapes };
    delete meta.load;
    meta.batch = spec.batch || 20;
    fs.writeFileSync(path.join(cache, `${name}.json`), JSON.stringify(meta, null, 1));
    console.log(`${name}: ${JSON.stringify(shapes.fmnist_test)} in ${secs.toFixed(0)}s (${tf.memory().numTensors} tensors live)`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
